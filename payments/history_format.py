"""The "history" section of the programme definition: a running bond brought in with its dates.

    "history": {
      "drawdowns": [{"on": "2026-01-15", "tranche": "senior", "investor": "bank",
                     "amount": 20000000}],
      "results": [{"metric": "training", "cohort": "2026", "period": "2026",
                   "stage": "interim", "value": "41", "comparison_value": null,
                   "sample_size": null, "comparison_sample_size": null, "note": "",
                   "submitted_by": "evaluator", "submitted_at": "2026-07-01T09:00:00+00:00",
                   "verified_by": "lead", "verified_at": "2026-07-08T14:30:00+00:00"}],
      "payments_received": [{"on": "2026-09-30", "payer": "etat", "amount": 2296000}],
      "guarantee_calls": [{"on": "2030-12-31", "tranche": "guarantee",
                           "investor": "fondation-garantie", "amount": 7200000,
                           "reason": "senior tranche ended short"}],
      "guarantee_payments": [{"on": "2031-02-15", "tranche": "guarantee",
                              "investor": "fondation-garantie", "amount": 6000000}]
    }

It loads after activation (order 90; "_activation" is 80) and before a final status (95),
through the same services as live entries, so every rule holds (commitments not
overdrawn, four eyes on verification, payers of the programme). Entries are applied in
date order (a result at its verification time), each with its original date, and every
chain entry they append is marked `imported`. The evaluator and the verifier are existing
usernames; they are given the evaluator and lead evaluator roles on the programme.

Dumped: drawdowns not reversed, verified aggregate results that are not superseded (a
verified amendment appears in place of the result it corrects, with the amendment's
submitter), payments received, guarantee calls and guarantee payments not reversed.
Participant-backed results are not part of this format (their records come through the
results CSV import). Amounts are int minor
units; result values are decimal strings, normalised ("41", not "41.000000").
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from outcomes import services as outcome_services
from outcomes.models import Cohort, MeasurementPeriod, Metric, Result, ResultState, Stage
from outcomes.selectors import results_with_state
from payments import services
from payments.guarantees import (
    guarantee_call_record,
    guarantee_movements,
    guarantee_payment_record,
)
from payments.models import Commitment, Drawdown, LedgerTransaction, TransactionKind
from payments.outcome_payments import outcome_payment_receive
from sib.chain import chain_importing
from sib.exceptions import ApplicationError
from sib.models import Organisation, Programme, Role, User
from sib.programme_format import LoadContext, Section, section_register

Errors = list[tuple[str, str]]
SECTION = "history"
# In this order on one day: a guarantee is called before it is paid.
LISTS = ("drawdowns", "results", "payments_received", "guarantee_calls", "guarantee_payments")
DRAWDOWN_FIELDS = {"on", "tranche", "investor", "amount"}
PAYMENT_FIELDS = {"on", "payer", "amount"}
GUARANTEE_CALL_FIELDS = {"on", "tranche", "investor", "amount", "reason"}
GUARANTEE_PAYMENT_FIELDS = {"on", "tranche", "investor", "amount"}
RESULT_FIELDS = {
    "metric",
    "cohort",
    "period",
    "stage",
    "value",
    "comparison_value",
    "sample_size",
    "comparison_sample_size",
    "note",
    "submitted_by",
    "submitted_at",
    "verified_by",
    "verified_at",
}

# Who may have submitted and verified a result brought in: members of the programme
# declared in the document's "memberships" section, never granted by the history itself.
ROLES_NEEDED = {
    "submitted_by": {Role.EVALUATOR, Role.LEAD_EVALUATOR},
    "verified_by": {Role.LEAD_EVALUATOR},
}
ROLE_NEEDED = {
    "submitted_by": "%r is not an evaluator of the programme: list them under memberships",
    "verified_by": "%r is not a lead evaluator of the programme: list them under memberships "
    "with role lead_evaluator",
}


# --- validation ----------------------------------------------------------------------------


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
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


def _amount(value: Any, path: str, errors: Errors) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        errors.append((path, "must be a whole, positive number of minor units (cents)"))


def _unknown(item: dict[str, Any], allowed: set[str], path: str, errors: Errors) -> None:
    errors.extend((f"{path}.{key}", "unknown field") for key in sorted(set(item) - allowed))


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
            errors.append((path, "must be an object"))
            continue
        _unknown(item, DRAWDOWN_FIELDS, path, errors)
        if _date(item.get("on")) is None:
            errors.append((f"{path}.on", "must be a date written YYYY-MM-DD"))
        key = (str(item.get("tranche")), str(item.get("investor")))
        _amount(item.get("amount"), f"{path}.amount", errors)
        if key not in commitments:
            errors.append(
                (f"{path}.investor", f"no commitment of {key[1]!r} in tranche {key[0]!r}")
            )
        elif isinstance(item.get("amount"), int):
            drawn[key] = drawn.get(key, 0) + item["amount"]
            if drawn[key] > commitments[key]:
                errors.append((f"{path}.amount", f"draws {drawn[key]} of {commitments[key]}"))


def _validate_results(items: list[Any], document: dict[str, Any], errors: Errors) -> None:
    codes = {name: _codes(document, name) for name in ("metrics", "cohorts", "periods")}
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
            errors.append((path, "must be an object"))
            continue
        _unknown(item, RESULT_FIELDS, path, errors)
        for field, section in (("metric", "metrics"), ("cohort", "cohorts"), ("period", "periods")):
            if item.get(field) not in codes[section]:
                errors.append((f"{path}.{field}", f"no {field} {item.get(field)!r} in {section}"))
        if item.get("stage") not in Stage.values:
            errors.append((f"{path}.stage", f"one of {', '.join(Stage.values)}"))
        if _decimal(item.get("value")) is None:
            errors.append((f"{path}.value", 'a decimal string, e.g. "41"'))
        if item.get("comparison_value") is not None and _decimal(item["comparison_value"]) is None:
            errors.append((f"{path}.comparison_value", "null or a decimal string"))
        for field in ("sample_size", "comparison_sample_size"):
            size = item.get(field)
            if size is not None and (
                isinstance(size, bool) or not isinstance(size, int) or size < 0
            ):
                errors.append((f"{path}.{field}", "null or a whole number"))
        if not isinstance(item.get("note", ""), str):
            errors.append((f"{path}.note", "must be a string"))
        for field in ("submitted_by", "verified_by"):
            if item.get(field) not in users:
                errors.append((f"{path}.{field}", f"no user {item.get(field)!r}"))
            elif item.get(field) not in roles[field]:
                errors.append((f"{path}.{field}", ROLE_NEEDED[field] % item.get(field)))
        if item.get("submitted_by") == item.get("verified_by"):
            errors.append((f"{path}.verified_by", "four eyes: not the evaluator who submitted it"))
        submitted, verified = _moment(item.get("submitted_at")), _moment(item.get("verified_at"))
        for field, moment in (("submitted_at", submitted), ("verified_at", verified)):
            if moment is None:
                errors.append((f"{path}.{field}", "a date-time with its offset, ISO 8601"))
        if submitted and verified and verified < submitted:
            errors.append((f"{path}.verified_at", "is before submitted_at"))


def _validate_payments(items: list[Any], document: dict[str, Any], errors: Errors) -> None:
    payers = _payers(document)
    for i, item in enumerate(items):
        path = f"{SECTION}.payments_received[{i}]"
        if not isinstance(item, dict):
            errors.append((path, "must be an object"))
            continue
        _unknown(item, PAYMENT_FIELDS, path, errors)
        if _date(item.get("on")) is None:
            errors.append((f"{path}.on", "must be a date written YYYY-MM-DD"))
        if item.get("payer") not in payers:
            errors.append((f"{path}.payer", f"{item.get('payer')!r} is not an outcome payer party"))
        _amount(item.get("amount"), f"{path}.amount", errors)


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
            errors.append((path, "must be an object"))
            continue
        _unknown(item, GUARANTEE_CALL_FIELDS if calls else GUARANTEE_PAYMENT_FIELDS, path, errors)
        if _date(item.get("on")) is None:
            errors.append((f"{path}.on", "must be a date written YYYY-MM-DD"))
        _amount(item.get("amount"), f"{path}.amount", errors)
        if calls and (not isinstance(item.get("reason"), str) or not item["reason"].strip()):
            errors.append((f"{path}.reason", "say why the guarantee is called"))
        key = (str(item.get("tranche")), str(item.get("investor")))
        if key not in covers:
            errors.append((f"{path}.investor", f"no guarantee of {key[1]!r} in tranche {key[0]!r}"))
        elif isinstance(item.get("amount"), int):
            totals[key] = totals.get(key, 0) + item["amount"]
            if calls and totals[key] > covers[key]:
                errors.append((f"{path}.amount", f"calls {totals[key]} of a {covers[key]} cover"))
    return totals


def _validate_guarantee_lists(
    data: dict[str, Any], document: dict[str, Any], errors: Errors
) -> None:
    lists = {name: data.get(name, []) for name in ("guarantee_calls", "guarantee_payments")}
    totals = {}
    for name, items in lists.items():
        if not isinstance(items, list):
            errors.append((f"{SECTION}.{name}", "must be a list"))
            return
        totals[name] = _validate_guarantees(name, items, document, errors)
    for key, paid in totals["guarantee_payments"].items():
        called = totals["guarantee_calls"].get(key, 0)
        if paid > called:
            errors.append(
                (f"{SECTION}.guarantee_payments", f"{key[1]} pays {paid} of {called} called")
            )


def validate_history(data: Any, document: dict[str, Any]) -> Errors:
    if not isinstance(data, dict):
        return [(SECTION, "must be an object with drawdowns, results, payments_received")]
    errors: Errors = []
    _unknown(data, set(LISTS), SECTION, errors)
    checks: dict[str, Callable[[list[Any], dict[str, Any], Errors], None]] = {
        "drawdowns": _validate_drawdowns,
        "results": _validate_results,
        "payments_received": _validate_payments,
    }
    for name, check in checks.items():
        items = data.get(name, [])
        if not isinstance(items, list):
            errors.append((f"{SECTION}.{name}", "must be a list"))
        else:
            check(items, document, errors)
    _validate_guarantee_lists(data, document, errors)
    programme = document.get("programme")
    status = programme.get("status") if isinstance(programme, dict) else None
    if status == "draft" and any(data.get(n) for n in LISTS):
        errors.append((SECTION, "a draft programme has no history: give an active status"))
    return errors


# --- loading -------------------------------------------------------------------------------


def _entries(data: dict[str, Any]) -> list[tuple[date, int, int, str, dict[str, Any]]]:
    """Return every entry in the order it happened: by date, then kind, then file order."""
    rows = []
    for rank, name in enumerate(LISTS):
        for i, item in enumerate(data.get(name, [])):
            moment = _moment(item["verified_at"]) if name == "results" else None
            on = moment.astimezone(UTC).date() if moment else date.fromisoformat(item["on"])
            rows.append((on, rank, i, name, item))
    return sorted(rows, key=lambda row: row[:3])


def _load_result(item: dict[str, Any], programme: Programme) -> None:
    submitter = User.objects.get(username=item["submitted_by"])
    verifier = User.objects.get(username=item["verified_by"])
    comparison = item.get("comparison_value")
    result = outcome_services.result_submit(
        programme=programme,
        user=submitter,
        metric=Metric.objects.get(programme=programme, code=item["metric"]),
        cohort=Cohort.objects.get(programme=programme, code=item["cohort"]),
        period=MeasurementPeriod.objects.get(programme=programme, code=item["period"]),
        stage=item["stage"],
        values=outcome_services.ResultValues(
            value=Decimal(item["value"]),
            comparison_value=Decimal(comparison) if comparison is not None else None,
            sample_size=item.get("sample_size"),
            comparison_sample_size=item.get("comparison_sample_size"),
            note=item.get("note", ""),
        ),
        at=datetime.fromisoformat(item["submitted_at"]),
    )
    outcome_services.result_verify(
        result=result, user=verifier, at=datetime.fromisoformat(item["verified_at"])
    )


def _load_guarantee(
    name: str, item: dict[str, Any], on: date, programme: Programme, actor: User | None
) -> None:
    commitment = Commitment.objects.select_related("tranche", "investor", "programme").get(
        programme=programme, tranche__key=item["tranche"], investor__slug=item["investor"]
    )
    if name == "guarantee_calls":
        guarantee_call_record(
            commitment=commitment,
            amount=item["amount"],
            called_on=on,
            actor=actor,
            reason=item["reason"],
        )
    else:
        guarantee_payment_record(
            commitment=commitment, amount=item["amount"], received_on=on, actor=actor
        )


def load_history(data: Any, context: LoadContext) -> None:
    programme = context.programme
    actor = context.extra.get("creator")
    with chain_importing():
        for on, _, i, name, item in _entries(data):
            path = f"{SECTION}.{name}[{i}]"
            try:
                if name == "drawdowns":
                    services.drawdown_record(
                        commitment=Commitment.objects.get(
                            programme=programme,
                            tranche__key=item["tranche"],
                            investor__slug=item["investor"],
                        ),
                        called_on=on,
                        amount=item["amount"],
                        actor=actor,
                    )
                elif name == "results":
                    _load_result(item, programme)
                elif name in ("guarantee_calls", "guarantee_payments"):
                    _load_guarantee(name, item, on, programme, actor)
                else:
                    outcome_payment_receive(
                        programme=programme,
                        payer=Organisation.objects.get(slug=item["payer"]),
                        amount=item["amount"],
                        received_on=on,
                        actor=actor,
                    )
            except ValidationError as exc:
                raise ValidationError({path: exc.messages}) from exc
            except (PermissionDenied, ApplicationError) as exc:
                raise ValidationError({path: [str(exc)]}) from exc


# --- dumping -------------------------------------------------------------------------------


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def dump_history(programme: Programme) -> dict[str, Any] | None:
    drawdowns = [
        {
            "amount": row.amount,
            "investor": row.commitment.investor.slug,
            "on": row.called_on.isoformat(),
            "tranche": row.commitment.tranche.key,
        }
        for row in Drawdown.objects.filter(programme=programme, transaction__reversal__isnull=True)
        .select_related("commitment__investor", "commitment__tranche")
        .order_by("called_on", "id")
    ]
    verified = (
        results_with_state(Result.objects.filter(programme=programme, from_participants=False))
        .filter(state=ResultState.VERIFIED)  # type: ignore[misc]
        .select_related("metric", "cohort", "period", "submitted_by", "decision__decided_by")
        .order_by("decision__decided_at", "id")
    )
    results = [
        {
            "cohort": r.cohort.code,
            "comparison_sample_size": r.comparison_sample_size,
            "comparison_value": _text(r.comparison_value),
            "metric": r.metric.code,
            "note": r.note,
            "period": r.period.code,
            "sample_size": r.sample_size,
            "stage": r.stage,
            "submitted_at": _utc(r.submitted_at),
            "submitted_by": r.submitted_by.username,
            "value": _text(r.value),
            "verified_at": _utc(r.decision.decided_at),
            "verified_by": r.decision.decided_by.username,
        }
        for r in verified
    ]
    payments = []
    for tx in (
        LedgerTransaction.objects.filter(
            programme=programme, kind=TransactionKind.PAYMENT_RECEIVED, reversal__isnull=True
        )
        .prefetch_related("legs__account__organisation")
        .order_by("occurred_on", "id")
    ):
        # Dr cash, Cr receivable:<payer> (payments.services.payment_received_record).
        [receivable] = [leg for leg in tx.legs.all() if leg.credit]
        payer = receivable.account.organisation
        assert payer is not None, f"payment {tx.pk} credits no payer's receivable"
        payments.append(
            {"amount": receivable.credit, "on": tx.occurred_on.isoformat(), "payer": payer.slug}
        )
    calls = guarantee_movements(programme=programme, kind=TransactionKind.GUARANTEE_CALL)
    paid = guarantee_movements(programme=programme, kind=TransactionKind.GUARANTEE_PAYMENT)
    if not (drawdowns or results or payments or calls or paid):
        return None
    history: dict[str, Any] = {
        "drawdowns": drawdowns,
        "payments_received": payments,
        "results": results,
    }
    # Only when there are any: a definition dumped before guarantees existed stays the same.
    if calls or paid:
        history.update(guarantee_calls=calls, guarantee_payments=paid)
    return history


def register() -> None:
    section_register(Section(SECTION, 90, validate_history, load_history, dump_history))
