"""The "tranches" section of the programme definition (sib.programme_format).

    "tranches": [
      {"key": "senior", "name": "Senior loan", "kind": "senior_loan", "priority": 1,
       "cap": {"type": "annual_rate", "value": "0.05"},          # or null: uncapped
       "commitments": [{"investor": "bank", "amount": 60000000,   # minor units
                        "committed_on": "2026-01-01"}]},
      {"key": "first-loss", "name": "Guarantee", "kind": "guarantee", "priority": 4,
       "cap": null, "guarantee": {"protects": "senior", "cover_limit": 15000000},
       "commitments": [{"investor": "foundation-b", "amount": 15000000,
                        "committed_on": "2026-01-01"}]}
    ]

Cap types: annual_rate and irr (a fraction: "0.05" is 5%), multiple ("1.5"); values are
strings so that no binary float ever holds them. Investors are organisation slugs.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from payments import services
from payments.models import CapType, Commitment, Tranche, TrancheKind
from sib.bounds import code_error
from sib.models import Organisation, Programme
from sib.programme_format import LoadContext, Section, section_register

Errors = list[tuple[str, str]]
TRANCHE_FIELDS = {"key", "name", "kind", "priority", "cap", "guarantee", "commitments"}
COMMITMENT_FIELDS = {"investor", "amount", "committed_on"}


def _positive_int(value: Any, path: str, errors: Errors) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        errors.append((path, "must be a whole, positive number of minor units (cents)"))


def _validate_cap(cap: Any, path: str, errors: Errors) -> None:
    if cap is None:
        return
    if not isinstance(cap, dict):
        errors.append((path, 'must be null or {"type": ..., "value": "..."}'))
        return
    for key in sorted(set(cap) - {"type", "value"}):
        errors.append((f"{path}.{key}", "unknown field"))
    if cap.get("type") not in {CapType.ANNUAL_RATE, CapType.IRR, CapType.MULTIPLE}:
        errors.append((f"{path}.type", "one of annual_rate, irr, multiple"))
    try:
        value = Decimal(cap["value"]) if isinstance(cap.get("value"), str) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0:
        errors.append((f"{path}.value", 'a non-negative decimal string, e.g. "0.05"'))
    elif cap.get("type") == CapType.MULTIPLE and value < 1:
        errors.append((f"{path}.value", "a multiple cap is at least 1"))


def _validate_commitments(items: Any, path: str, organisations: set[str], errors: Errors) -> None:
    if not isinstance(items, list):
        errors.append((path, "must be a list"))
        return
    seen: set[str] = set()
    for j, item in enumerate(items):
        item_path = f"{path}[{j}]"
        if not isinstance(item, dict):
            errors.append((item_path, "must be an object"))
            continue
        for key in sorted(set(item) - COMMITMENT_FIELDS):
            errors.append((f"{item_path}.{key}", "unknown field"))
        investor = item.get("investor")
        if (
            investor not in organisations
            and not Organisation.objects.filter(
                slug=investor, kinds__contains=["investor"]
            ).exists()
        ):
            errors.append((f"{item_path}.investor", f"unknown investor organisation {investor!r}"))
        elif investor in seen:
            errors.append((f"{item_path}.investor", f"{investor!r} is listed twice"))
        seen.add(str(investor))
        _positive_int(item.get("amount"), f"{item_path}.amount", errors)
        try:
            date.fromisoformat(item.get("committed_on"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            errors.append((f"{item_path}.committed_on", "must be a date written YYYY-MM-DD"))


# Kept whole (complexity over 15):
# one check per tranche field, in the order the format documents them.
def validate_tranches(data: Any, document: dict[str, Any]) -> Errors:  # noqa: C901
    if not isinstance(data, list):
        return [("tranches", "must be a list")]
    errors: Errors = []
    organisations = {
        str(o.get("slug"))
        for o in document.get("organisations", [])
        if isinstance(o, dict) and "investor" in (o.get("kinds") or [])
    }
    keys = [t.get("key") for t in data if isinstance(t, dict)]
    priorities: set[int] = set()
    for i, item in enumerate(data):
        path = f"tranches[{i}]"
        if not isinstance(item, dict):
            errors.append((path, "must be an object"))
            continue
        for key in sorted(set(item) - TRANCHE_FIELDS):
            errors.append((f"{path}.{key}", "unknown field"))
        if not isinstance(item.get("key"), str) or not item["key"]:
            errors.append((f"{path}.key", "required"))
        elif problem := code_error(item["key"]):
            errors.append((f"{path}.key", problem))
        elif keys.count(item["key"]) > 1:
            errors.append((f"{path}.key", f"{item['key']!r} is listed twice"))
        if not isinstance(item.get("name"), str) or not item["name"].strip():
            errors.append((f"{path}.name", "required"))
        kind = item.get("kind")
        if kind not in TrancheKind.values:
            errors.append((f"{path}.kind", f"unknown kind {kind!r}"))
        priority = item.get("priority")
        if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
            errors.append((f"{path}.priority", "a whole number from 1 (repaid first)"))
        elif priority in priorities:
            errors.append((f"{path}.priority", f"another tranche has priority {priority}"))
        else:
            priorities.add(priority)
        _validate_cap(item.get("cap"), f"{path}.cap", errors)
        guarantee = item.get("guarantee")
        if kind == TrancheKind.GUARANTEE:
            if not isinstance(guarantee, dict):
                errors.append((f"{path}.guarantee", "a guarantee needs protects and cover_limit"))
            else:
                protects = guarantee.get("protects")
                others = [t for t in data if isinstance(t, dict) and t.get("key") == protects]
                if protects == item.get("key") or not others:
                    errors.append((f"{path}.guarantee.protects", f"no tranche {protects!r}"))
                elif others[0].get("kind") == TrancheKind.GUARANTEE:
                    errors.append((f"{path}.guarantee.protects", "cannot protect a guarantee"))
                _positive_int(guarantee.get("cover_limit"), f"{path}.guarantee.cover_limit", errors)
        elif guarantee is not None:
            errors.append((f"{path}.guarantee", "only a guarantee tranche has one"))
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
        if tranche.kind == TrancheKind.GUARANTEE and tranche.protects is not None:
            item["guarantee"] = {
                "protects": tranche.protects.key,
                "cover_limit": tranche.cover_limit,
            }
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
    section_register(Section("tranches", 10, validate_tranches, load_tranches, dump_tranches))
