"""The checks of the "history" section before anything is written (payments.history_format).

Its structure (fields, types, dates written YYYY-MM-DD, amounts above zero, decimal
strings) is the format's JSON Schema (docs/programme-format.schema.json), checked first;
these checks still run where the schema refused an entry, so they read every value as
possibly malformed. Every entry is checked against the document alone (its tranches,
parties, metrics and memberships) and reported with its JSON path; what only the ledger
can tell (what a payer owes on that day, the contract cap) is checked by the services
while loading. Dates before the contract's start and result values their column cannot
hold (negative, fractional counts) are refused here, every one listed at once: a real
record with a payment 17 years early was refused one entry at a time by the ledger, and a
result's dates not at all.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from outcomes.models import Unit
from outcomes.plausibility import mechanism_value_errors
from sib.models import Role, User

Errors = list[tuple[str, str]]
SECTION = "history"
# In this order on one day: a guarantee is called before it is paid.
LISTS = (
    "drawdowns",
    "results",
    "payments_received",
    "joint_payments_received",
    "guarantee_calls",
    "guarantee_payments",
)

# Who may have submitted and verified a result brought in: members of the programme
# declared in the document's "memberships" section, never granted by the history itself.
ROLES_NEEDED = {
    "submitted_by": {Role.EVALUATOR, Role.LEAD_EVALUATOR},
    "verified_by": {Role.LEAD_EVALUATOR},
}


def _role_needed(field: str, user: Any) -> str:
    if field == "submitted_by":
        return _("%(user)r is not an evaluator of the programme: list them under memberships") % {
            "user": user
        }
    return _(
        "%(user)r is not a lead evaluator of the programme: list them under memberships with "
        "role lead_evaluator"
    ) % {"user": user}


# --- validation ----------------------------------------------------------------------------


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def parse_moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        return None
    return number if number is not None and number.is_finite() else None


def _contract_start(document: dict[str, Any]) -> date | None:
    programme = document.get("programme")
    return _date(programme.get("start_date")) if isinstance(programme, dict) else None


def _before_start(on: date | None, path: str, document: dict[str, Any], errors: Errors) -> None:
    """Refuse a date before the contract starts (the ledger's own rule, payments.ledger)."""
    start = _contract_start(document)
    if on is not None and start is not None and on < start:
        message = _("%(date)s is before the contract starts (%(start)s).") % {
            "date": on.isoformat(),
            "start": start.isoformat(),
        }
        errors.append((path, message))


def _additional_errors(item: dict[str, Any], path: str, errors: Errors) -> None:
    """A result declared additional (outcomes.cells) says why (its types are the schema's)."""
    reason = item.get("additional_reason", "")
    if item.get("additional") is True and isinstance(reason, str) and not reason.strip():
        errors.append((f"{path}.additional_reason", _("a result declared additional says why")))


def _value_errors(item: dict[str, Any], units: dict[Any, Any], path: str, errors: Errors) -> None:
    """Refuse what a result's columns cannot hold: below zero, a fraction of a count."""
    for field in ("value", "comparison_value"):
        number = _decimal(item.get(field))
        if number is not None and number < 0:
            message = _("%(value)s is negative: a result is zero or more.") % {"value": number}
            errors.append((f"{path}.{field}", message))
        elif (
            field == "value"
            and number is not None
            and units.get(item.get("metric")) == Unit.PARTICIPANT_OUTCOME
            and number != number.to_integral_value()
        ):
            message = _(
                "Metric '%(metric)s' counts participants: %(value)s is not a whole number."
            ) % {"metric": item.get("metric"), "value": number.normalize()}
            errors.append((f"{path}.{field}", message))


def _mechanism_errors(
    item: dict[str, Any], kinds: dict[Any, Any], path: str, errors: Errors
) -> None:
    """Refuse the counts a metric's mechanism cannot price (outcomes.plausibility)."""
    value, size = _decimal(item.get("value")), item.get("sample_size")
    if value is None or value < 0 or not (size is None or type(size) is int):
        return  # the schema and _value_errors report what is malformed
    found = mechanism_value_errors(
        code=str(item.get("metric")),
        kind=str(kinds.get(item.get("metric"), "")),
        value=value,
        comparison_value=_decimal(item.get("comparison_value")),
        sample_size=size,
    )
    # A count per participant already refused as a fraction is not refused twice.
    known = {where for where, _message in errors}
    errors += [
        (f"{path}.{field}", str(message))
        for field, message in found.items()
        if f"{path}.{field}" not in known
    ]


def _codes(document: dict[str, Any], name: str) -> set[str]:
    items = document.get(name)
    return (
        {str(i.get("code")) for i in items if isinstance(i, dict)}
        if isinstance(items, list)
        else set()
    )


def _commitments(
    document: dict[str, Any], *, guarantees: bool = False
) -> dict[tuple[str, str], int]:
    """Return (tranche key, investor) -> committed amount, for tranches that can be drawn
    (or, with `guarantees`, for guarantee tranches: the cover)."""
    found: dict[tuple[str, str], int] = {}
    for tranche in document.get("tranches") or []:
        if not isinstance(tranche, dict) or (tranche.get("kind") == "guarantee") != guarantees:
            continue
        for commitment in tranche.get("commitments") or []:
            if isinstance(commitment, dict) and isinstance(commitment.get("amount"), int):
                key = (str(tranche.get("key")), str(commitment.get("investor")))
                found[key] = commitment["amount"]
    return found


def _payers(document: dict[str, Any]) -> set[str]:
    return {
        str(p.get("organisation"))
        for p in document.get("parties") or []
        if isinstance(p, dict) and p.get("role") == "outcome_payer"
    }


def _validate_drawdowns(items: list[Any], document: dict[str, Any], errors: Errors) -> None:
    commitments = _commitments(document)
    drawn: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        path = f"{SECTION}.drawdowns[{i}]"
        if not isinstance(item, dict):
            continue
        _before_start(_date(item.get("on")), f"{path}.on", document, errors)
        key = (str(item.get("tranche")), str(item.get("investor")))
        if key not in commitments:
            message = _("no commitment of %(investor)r in tranche %(tranche)r") % {
                "investor": key[1],
                "tranche": key[0],
            }
            errors.append((f"{path}.investor", message))
        elif isinstance(item.get("amount"), int):
            drawn[key] = drawn.get(key, 0) + item["amount"]
            if drawn[key] > commitments[key]:
                message = _("draws %(drawn)s of %(committed)s") % {
                    "drawn": drawn[key],
                    "committed": commitments[key],
                }
                errors.append((f"{path}.amount", message))


def _validate_results(items: list[Any], document: dict[str, Any], errors: Errors) -> None:
    codes = {name: _codes(document, name) for name in ("metrics", "cohorts", "periods")}
    metrics = [m for m in document.get("metrics") or [] if isinstance(m, dict)]
    units = {m.get("code"): m.get("unit") for m in metrics}
    kinds = {
        m.get("code"): m["mechanism"].get("kind")
        for m in metrics
        if isinstance(m.get("mechanism"), dict)
    }
    names = {
        str(item.get(field))
        for item in items
        if isinstance(item, dict)
        for field in ("submitted_by", "verified_by")
    }
    users = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    roles = {
        field: {
            m.get("user")
            for m in document.get("memberships") or []
            if isinstance(m, dict) and m.get("role") in wanted
        }
        for field, wanted in ROLES_NEEDED.items()
    }
    for i, item in enumerate(items):
        path = f"{SECTION}.results[{i}]"
        if not isinstance(item, dict):
            continue
        for field, section in (("metric", "metrics"), ("cohort", "cohorts"), ("period", "periods")):
            if item.get(field) not in codes[section]:
                message = _("no %(field)s %(code)r in %(section)s") % {
                    "field": field,
                    "code": item.get(field),
                    "section": section,
                }
                errors.append((f"{path}.{field}", message))
        _value_errors(item, units, path, errors)
        _mechanism_errors(item, kinds, path, errors)
        _additional_errors(item, path, errors)
        for field in ("submitted_by", "verified_by"):
            if item.get(field) not in users:
                errors.append(
                    (f"{path}.{field}", _("no user %(user)r") % {"user": item.get(field)})
                )
            elif item.get(field) not in roles[field]:
                errors.append((f"{path}.{field}", _role_needed(field, item.get(field))))
        if item.get("submitted_by") == item.get("verified_by"):
            message = _("four eyes: not the evaluator who submitted it")
            errors.append((f"{path}.verified_by", message))
        submitted, verified = (
            parse_moment(item.get("submitted_at")),
            parse_moment(item.get("verified_at")),
        )
        for field, moment in (("submitted_at", submitted), ("verified_at", verified)):
            if moment is None:
                errors.append((f"{path}.{field}", _("a date-time with its offset, ISO 8601")))
            else:
                # As the ledger dates it: the day in UTC (payments.history_format).
                _before_start(moment.astimezone(UTC).date(), f"{path}.{field}", document, errors)
        if submitted and verified and verified < submitted:
            errors.append((f"{path}.verified_at", _("is before submitted_at")))


def _validate_payments(items: list[Any], document: dict[str, Any], errors: Errors) -> None:
    payers = _payers(document)
    for i, item in enumerate(items):
        path = f"{SECTION}.payments_received[{i}]"
        if not isinstance(item, dict):
            continue
        _before_start(_date(item.get("on")), f"{path}.on", document, errors)
        if str(item.get("payer")) not in payers:
            message = _("%(payer)r is not an outcome payer party") % {"payer": item.get("payer")}
            errors.append((f"{path}.payer", message))


def _validate_joint_payments(items: list[Any], document: dict[str, Any], errors: Errors) -> None:
    """A joint payment: paid by an outcome payer, settling outcome payers each once, with
    an amount for every part or for none (then a total to allocate), the total the sum."""
    payers = _payers(document)
    for i, item in enumerate(items):
        path = f"{SECTION}.joint_payments_received[{i}]"
        if not isinstance(item, dict):
            continue
        _before_start(_date(item.get("on")), f"{path}.on", document, errors)
        if str(item.get("paid_by")) not in payers:
            message = _("%(payer)r is not an outcome payer party") % {"payer": item.get("paid_by")}
            errors.append((f"{path}.paid_by", message))
        parts = [p for p in item.get("settles") or [] if isinstance(p, dict)]
        seen: set[str] = set()
        for j, part in enumerate(parts):
            payer = str(part.get("payer"))
            if payer not in payers:
                message = _("%(payer)r is not an outcome payer party") % {
                    "payer": part.get("payer")
                }
                errors.append((f"{path}.settles[{j}].payer", message))
            elif payer in seen:
                message = _("%(payer)r is listed twice: give one part per payer") % {"payer": payer}
                errors.append((f"{path}.settles[{j}].payer", message))
            seen.add(payer)
        amounts: list[Any] = [part.get("amount") for part in parts]
        if any(a is not None for a in amounts) and any(a is None for a in amounts):
            message = _("give an amount for every payer settled, or for none")
            errors.append((f"{path}.settles", message))
        elif parts and all(isinstance(a, int) for a in amounts):
            total = item.get("amount")
            if isinstance(total, int) and total != sum(amounts):
                message = _("%(total)s is not the sum of the parts, %(sum)s") % {
                    "total": total,
                    "sum": sum(amounts),
                }
                errors.append((f"{path}.amount", message))
        elif parts and item.get("amount") is None:
            message = _("give the total paid when the parts are allocated")
            errors.append((f"{path}.amount", message))


def _validate_guarantees(
    name: str, items: list[Any], document: dict[str, Any], errors: Errors
) -> dict[tuple[str, str], int]:
    """Check calls or payments of guarantees; return their totals per guarantor."""
    covers = _commitments(document, guarantees=True)
    calls = name == "guarantee_calls"
    totals: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        path = f"{SECTION}.{name}[{i}]"
        if not isinstance(item, dict):
            continue
        _before_start(_date(item.get("on")), f"{path}.on", document, errors)
        key = (str(item.get("tranche")), str(item.get("investor")))
        if key not in covers:
            message = _("no guarantee of %(investor)r in tranche %(tranche)r") % {
                "investor": key[1],
                "tranche": key[0],
            }
            errors.append((f"{path}.investor", message))
        elif isinstance(item.get("amount"), int):
            totals[key] = totals.get(key, 0) + item["amount"]
            if calls and totals[key] > covers[key]:
                message = _("calls %(called)s of a %(cover)s cover") % {
                    "called": totals[key],
                    "cover": covers[key],
                }
                errors.append((f"{path}.amount", message))
    return totals


def _validate_guarantee_lists(
    data: dict[str, Any], document: dict[str, Any], errors: Errors
) -> None:
    lists = {name: data.get(name, []) for name in ("guarantee_calls", "guarantee_payments")}
    totals = {}
    for name, items in lists.items():
        if not isinstance(items, list):
            return
        totals[name] = _validate_guarantees(name, items, document, errors)
    for key, paid in totals["guarantee_payments"].items():
        called = totals["guarantee_calls"].get(key, 0)
        if paid > called:
            message = _("%(investor)s pays %(paid)s of %(called)s called") % {
                "investor": key[1],
                "paid": paid,
                "called": called,
            }
            errors.append((f"{SECTION}.guarantee_payments", message))


def validate_history(data: Any, document: dict[str, Any]) -> Errors:
    if not isinstance(data, dict):
        return []
    errors: Errors = []
    checks: dict[str, Callable[[list[Any], dict[str, Any], Errors], None]] = {
        "drawdowns": _validate_drawdowns,
        "results": _validate_results,
        "payments_received": _validate_payments,
        "joint_payments_received": _validate_joint_payments,
    }
    for name, check in checks.items():
        items = data.get(name, [])
        if isinstance(items, list):
            check(items, document, errors)
    _validate_guarantee_lists(data, document, errors)
    programme = document.get("programme")
    status = programme.get("status") if isinstance(programme, dict) else None
    if status == "draft" and any(data.get(n) for n in LISTS):
        errors.append((SECTION, _("a draft programme has no history: give an active status")))
    return errors
