"""The "tranches" section of the programme definition (sib.programme_format).

    "tranches": [
      {"key": "senior", "name": "Senior loan", "kind": "senior_loan", "priority": 1,
       "cap": {"type": "annual_rate", "value": "0.05"},          # or null: uncapped
       "commitments": [{"investor": "bank", "amount": 60000000,   # minor units
                        "committed_on": "2026-01-01"}]},
      {"key": "first-loss", "name": "Guarantee", "kind": "guarantee", "priority": 4,
       "cap": null, "guarantee": {"protects": "senior", "cover_percent": "50",
                                  "cover_limit": 15000000},
       "commitments": [{"investor": "foundation-b", "amount": 15000000,
                        "committed_on": "2026-01-01"}]}
    ]

A tranche may instead carry a "coupon" (and "cap": null): a coupon on principal whose rate
is set each year by the band a banded_rate metric's measured rate falls in
(payments.engine.coupon). Any tranche but a guarantee may carry a "redemption": its
principal owed back at maturity, in full when a banded_rate metric's rate reaches a
threshold, else a floor, topped up by one of the programme's outcome payers
(payments.engine.redemption).

Cap types: annual_rate and irr (a fraction: "0.05" is 5%), multiple ("1.5"); values are
strings so that no binary float ever holds them. Investors are organisation slugs. A
guarantee covers `cover_percent` of the protected tranche's principal loss (a percentage
string, "50" is 50 %, as payer shares), at most `cover_limit`: either or both.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from outcomes.rule_json import RuleError
from payments import services
from payments.engine.coupon import CouponCap
from payments.engine.redemption import RedemptionTerms
from payments.models import CapType, Commitment, Tranche, TrancheKind
from payments.tranche_terms import redemption_payer_message
from sib.bounds import code_error
from sib.models import Organisation, PartyRole, Programme
from sib.programme_format import LoadContext, Section, section_register
from sib.services import payer_share_places

Errors = list[tuple[str, str]]
# Types, required fields, kinds, amounts above zero and dates are the format's JSON Schema
# (docs/programme-format.schema.json); these checks keep what it cannot say, and still run
# where it refused something, so they read every value as possibly malformed.


def _validate_cap(cap: Any, path: str, errors: Errors) -> None:
    if not isinstance(cap, dict) or not isinstance(cap.get("value"), str):
        return
    try:
        value = Decimal(cap["value"])
    except InvalidOperation:
        return
    if not value.is_finite() or value < 0:
        errors.append((f"{path}.value", _('a non-negative decimal string, e.g. "0.05"')))
    elif cap.get("type") == CapType.MULTIPLE and value < 1:
        errors.append((f"{path}.value", _("a multiple cap is at least 1")))


def _validate_coupon(
    item: dict[str, Any], path: str, document: dict[str, Any], errors: Errors
) -> None:
    coupon = item.get("coupon")
    if coupon is None:
        return
    path = f"{path}.coupon"
    if item.get("kind") == TrancheKind.GUARANTEE:
        errors.append((path, _("a guarantee has no coupon")))
        return
    if item.get("cap") is not None:
        errors.append((path, _("a tranche with a coupon has no other cap: set cap to null")))
    try:
        terms = CouponCap.from_dict(coupon, path)
    except RuleError as exc:
        errors.append((exc.path, exc.message))
        return
    _banded_rate_metric(terms.metric, path, document, errors)


def _banded_rate_metric(code: str, path: str, document: dict[str, Any], errors: Errors) -> None:
    """A coupon or a redemption reads its rate from a banded_rate metric of the programme."""
    kinds = {
        m.get("code"): (m.get("mechanism") or {}).get("kind")
        for m in document.get("metrics") or []
        if isinstance(m, dict)
    }
    if kinds.get(code) != "banded_rate":
        message = _("no banded_rate metric %(code)r") % {"code": code}
        errors.append((f"{path}.metric", message))


def _validate_redemption(
    item: dict[str, Any], path: str, document: dict[str, Any], errors: Errors
) -> None:
    redemption = item.get("redemption")
    if redemption is None:
        return
    path = f"{path}.redemption"
    if item.get("kind") == TrancheKind.GUARANTEE:
        errors.append((path, _("a guarantee has no principal to redeem")))
        return
    try:
        terms = RedemptionTerms.from_dict(redemption, path)
    except RuleError as exc:
        errors.append((exc.path, exc.message))
        return
    _banded_rate_metric(terms.metric, path, document, errors)
    payers = {
        p.get("organisation")
        for p in document.get("parties") or []
        if isinstance(p, dict) and p.get("role") == PartyRole.OUTCOME_PAYER
    }
    if terms.payer not in payers:
        errors.append((f"{path}.payer", redemption_payer_message(terms.payer)))


def _validate_commitments(items: Any, path: str, organisations: set[str], errors: Errors) -> None:
    seen: set[str] = set()
    for j, item in enumerate(items if isinstance(items, list) else []):
        investor = item.get("investor") if isinstance(item, dict) else None
        if not isinstance(investor, str):
            continue
        item_path = f"{path}[{j}]"
        if (
            investor not in organisations
            and not Organisation.objects.filter(
                slug=investor, kinds__contains=["investor"]
            ).exists()
        ):
            message = _("unknown investor organisation %(investor)r") % {"investor": investor}
            errors.append((f"{item_path}.investor", message))
        elif investor in seen:
            message = _("%(investor)r is listed twice") % {"investor": investor}
            errors.append((f"{item_path}.investor", message))
        seen.add(investor)


def _validate_guarantee(item: dict[str, Any], data: list[Any], path: str, errors: Errors) -> None:
    guarantee = item.get("guarantee")
    if item.get("kind") != TrancheKind.GUARANTEE:
        if guarantee is not None:
            errors.append((f"{path}.guarantee", _("only a guarantee tranche has one")))
        return
    if not isinstance(guarantee, dict):
        errors.append((f"{path}.guarantee", _("a guarantee needs protects and its cover")))
        return
    _validate_cover_percent(guarantee.get("cover_percent"), f"{path}.guarantee", errors)
    protects = guarantee.get("protects")
    others = [t for t in data if isinstance(t, dict) and t.get("key") == protects]
    if protects == item.get("key") or not others:
        message = _("no tranche %(tranche)r") % {"tranche": protects}
        errors.append((f"{path}.guarantee.protects", message))
    elif others[0].get("kind") == TrancheKind.GUARANTEE:
        errors.append((f"{path}.guarantee.protects", _("cannot protect a guarantee")))


def _validate_cover_percent(percent: Any, path: str, errors: Errors) -> None:
    if not isinstance(percent, str):
        return  # absent, or not a string: the schema says so
    try:
        value = Decimal(percent)
    except InvalidOperation:
        return
    if not value.is_finite() or not Decimal(0) < value <= 100:
        message = _('a percentage string in (0, 100], e.g. "50"')
        errors.append((f"{path}.cover_percent", message))
    elif payer_share_places(value) > services.COVER_PLACES:
        message = _(
            "The cover percentage %(percent)s has more than %(places)s decimal places, "
            "the precision the ledger keeps: the column would round it."
        ) % {"percent": percent, "places": services.COVER_PLACES}
        errors.append((f"{path}.cover_percent", message))


def validate_tranches(data: Any, document: dict[str, Any]) -> Errors:
    if not isinstance(data, list):
        return []
    errors: Errors = []
    organisations = {
        o["slug"]
        for o in document.get("organisations") or []
        if isinstance(o, dict)
        and isinstance(o.get("slug"), str)
        and "investor" in (o.get("kinds") or [])
    }
    keys = [t.get("key") for t in data if isinstance(t, dict)]
    priorities: set[int] = set()
    for i, item in enumerate(data):
        path = f"tranches[{i}]"
        if not isinstance(item, dict):
            continue
        key = item.get("key")
        if isinstance(key, str) and (problem := code_error(key)):
            errors.append((f"{path}.key", problem))
        elif isinstance(key, str) and keys.count(key) > 1:
            errors.append((f"{path}.key", _("%(key)r is listed twice") % {"key": key}))
        priority = item.get("priority")
        if isinstance(priority, int) and priority in priorities:
            message = _("another tranche has priority %(priority)s") % {"priority": priority}
            errors.append((f"{path}.priority", message))
        elif isinstance(priority, int):
            priorities.add(priority)
        _validate_cap(item.get("cap"), f"{path}.cap", errors)
        _validate_coupon(item, path, document, errors)
        _validate_redemption(item, path, document, errors)
        _validate_guarantee(item, data, path, errors)
        _validate_commitments(
            item.get("commitments", []), f"{path}.commitments", organisations, errors
        )
    return errors


def load_tranches(data: list[dict[str, Any]], context: LoadContext) -> None:
    programme = context.programme
    created: dict[str, Tranche] = {}
    # Guarantees last: they refer to the tranche they protect.
    for item in sorted(data, key=lambda t: t["kind"] == TrancheKind.GUARANTEE):
        cap = item.get("cap")
        guarantee = item.get("guarantee") or {}
        created[item["key"]] = services.tranche_create(
            programme=programme,
            key=item["key"],
            name=item["name"],
            kind=item["kind"],
            priority=item["priority"],
            cap_type=cap["type"] if cap else CapType.NONE,
            cap_value=Decimal(cap["value"]) if cap else None,
            protects=created.get(guarantee.get("protects", "")),
            cover_limit=guarantee.get("cover_limit"),
            cover_percent=(
                Decimal(guarantee["cover_percent"]) if "cover_percent" in guarantee else None
            ),
            coupon=item.get("coupon"),
            redemption=item.get("redemption"),
        )
        for commitment in item.get("commitments", []):
            investor = context.organisations.get(commitment["investor"]) or (
                Organisation.objects.get(slug=commitment["investor"])
            )
            services.commitment_create(
                tranche=created[item["key"]],
                investor=investor,
                amount=commitment["amount"],
                committed_on=date.fromisoformat(commitment["committed_on"]),
            )


def dump_tranches(programme: Programme) -> list[dict[str, Any]] | None:
    tranches = list(Tranche.objects.filter(programme=programme).select_related("protects"))
    if not tranches:
        return None
    out = []
    for tranche in sorted(tranches, key=lambda t: t.priority):
        item: dict[str, Any] = {
            "key": tranche.key,
            "name": tranche.name,
            "kind": tranche.kind,
            "priority": tranche.priority,
            "cap": None
            if tranche.cap_value is None
            else {
                "type": tranche.cap_type,
                "value": format(tranche.cap_value.normalize(), "f"),
            },
        }
        if tranche.coupon is not None:
            item["coupon"] = tranche.coupon
        if tranche.redemption is not None:
            item["redemption"] = tranche.redemption
        if tranche.kind == TrancheKind.GUARANTEE and tranche.protects is not None:
            guarantee: dict[str, Any] = {"protects": tranche.protects.key}
            if tranche.cover_percent is not None:
                guarantee["cover_percent"] = format(tranche.cover_percent.normalize(), "f")
            if tranche.cover_limit is not None:
                guarantee["cover_limit"] = tranche.cover_limit
            item["guarantee"] = guarantee
        item["commitments"] = [
            {
                "investor": c.investor.slug,
                "amount": c.amount,
                "committed_on": c.committed_on.isoformat(),
            }
            for c in Commitment.objects.filter(tranche=tranche)
            .select_related("investor")
            .order_by("investor__slug")
        ]
        out.append(item)
    return out


def register() -> None:
    # After parties (2), before activation (80): the capital is set up on a draft.
    # After the metrics (12): a tranche's coupon is banded on one of them.
    section_register(Section("tranches", 13, validate_tranches, load_tranches, dump_tranches))
