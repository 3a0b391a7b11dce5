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
      "joint_payments_received": [{"on": "2026-12-15", "paid_by": "etat", "amount": 100000,
                                   "settles": [{"payer": "etat", "amount": 70000},
                                               {"payer": "departement", "amount": 30000}]}],
      "guarantee_calls": [{"on": "2030-12-31", "tranche": "guarantee",
                           "investor": "fondation-garantie", "amount": 7200000,
                           "reason": "senior tranche ended short"}],
      "guarantee_payments": [{"on": "2031-02-15", "tranche": "guarantee",
                              "investor": "fondation-garantie", "amount": 6000000}]
    }

It loads after activation (order 90; "_activation" is 80) and before a final status (95),
through the same services as live entries, so every rule holds (commitments not
overdrawn, four eyes on verification, payers of the programme): drawdowns and payments
received between two other entries with the services' checks and in one statement per
table (payments.history_posting), the others one service call each. Entries are applied in
date order (a result at its verification time), each with its original date, and every
chain entry they append is marked `imported`. The evaluator and the verifier are existing
usernames; they are given the evaluator and lead evaluator roles on the programme.

Dumped: drawdowns not reversed, verified aggregate results that are not superseded (a
verified amendment appears in place of the result it corrects, with the amendment's
submitter), payments received, joint payments received (payments.joint_payments: one
payment settling several payers' dues, dumped with every part's amount), guarantee calls
and guarantee payments not reversed.
Participant-backed results are not part of this format (their records come through the
results CSV import). The results of one cell load under the rule of outcomes.cells: a
final after interims replaces them; a second result of a cell is declared with
`"additional": true` and an `"additional_reason"`, else the load is refused at its path.
Amounts are int minor units; result values are decimal strings, normalised ("41", not "41.000000").
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from outcomes import services as outcome_services
from outcomes.models import Cohort, MeasurementPeriod, Metric, Result, ResultState
from outcomes.selectors import results_with_state
from payments import services
from payments.guarantees import (
    guarantee_call_record,
    guarantee_movements,
    guarantee_payment_record,
)
from payments.history_checks import LISTS, SECTION, parse_moment, validate_history
from payments.history_posting import MONEY_LISTS, Entry, history_money_post
from payments.joint_payments import JointPart, joint_payment_record
from payments.models import AccountKind, Commitment, Drawdown, LedgerTransaction, TransactionKind
from payments.outcome_payments import outcome_payment_receive
from sib.chain import chain_importing
from sib.exceptions import ApplicationError
from sib.models import Organisation, Programme, User
from sib.programme_format import LoadContext, Section, section_register

# --- loading -------------------------------------------------------------------------------


def _entries(data: dict[str, Any]) -> list[tuple[date, int, int, str, dict[str, Any]]]:
    """Return every entry in the order it happened: by date, then kind, then file order."""
    rows = []
    for rank, name in enumerate(LISTS):
        for i, item in enumerate(data.get(name, [])):
            moment = parse_moment(item["verified_at"]) if name == "results" else None
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
            additional=item.get("additional", False),
            additional_reason=item.get("additional_reason", ""),
        ),
        at=datetime.fromisoformat(item["submitted_at"]),
    )
    outcome_services.result_verify(
        result=result,
        user=verifier,
        at=datetime.fromisoformat(item["verified_at"]),
        from_history=True,
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


def _load_joint(
    item: dict[str, Any],
    on: date,
    programme: Programme,
    actor: User | None,
    payers: dict[str, Organisation],
) -> None:
    parts = item["settles"]
    joint_payment_record(
        programme=programme,
        paid_by=_payer(payers, item["paid_by"]),
        parts=[JointPart(_payer(payers, p["payer"]), p.get("amount")) for p in parts],
        amount=item.get("amount"),
        received_on=on,
        actor=actor,
    )


def _payer(payers: dict[str, Organisation], slug: str) -> Organisation:
    if slug not in payers:
        payers[slug] = Organisation.objects.get(slug=slug)
    return payers[slug]


# Set by history_one_by_one(): every drawdown and payment through its service, one by one,
# as before issue 15 (the batched path's tests and bench compare the two).
_one_by_one: ContextVar[bool] = ContextVar("history_one_by_one", default=False)


@contextmanager
def history_one_by_one() -> Iterator[None]:
    """Load history entries one service call each, not in batches (for comparison)."""
    token = _one_by_one.set(True)
    try:
        yield
    finally:
        _one_by_one.reset(token)


def _runs(data: dict[str, Any]) -> Iterator[list[Entry]]:
    """Yield the entries in order, consecutive drawdowns and payments received together
    (batched unless history_one_by_one), every other entry alone."""
    run: list[Entry] = []
    batched = not _one_by_one.get()
    for on, _, i, name, item in _entries(data):
        entry = (f"{SECTION}.{name}[{i}]", name, on, item)
        if batched and name in MONEY_LISTS:
            run.append(entry)
            continue
        if run:
            yield run
            run = []
        yield [entry]
    if run:
        yield run


def load_history(data: Any, context: LoadContext) -> None:
    programme = context.programme
    actor = context.extra.get("creator")
    # Looked up once per load, not once per entry (a thousand entries name a few
    # commitments and payers); the services re-read and lock what they change.
    commitments = {
        (c.tranche.key, c.investor.slug): c
        for c in Commitment.objects.filter(programme=programme).select_related(
            "tranche", "investor", "programme"
        )
    }
    payers: dict[str, Organisation] = {}
    with chain_importing():
        for run in _runs(data):
            path, name, on, item = run[0]
            if name in MONEY_LISTS and not _one_by_one.get():
                for _path, _name, _on, entry in run:
                    if "payer" in entry:
                        _payer(payers, entry["payer"])
                # Raises ValidationError at the entry's path itself.
                _money_post(programme, run, actor, commitments, payers)
                continue
            try:
                if name == "drawdowns":
                    services.drawdown_record(
                        commitment=commitments[(item["tranche"], item["investor"])],
                        called_on=on,
                        amount=item["amount"],
                        actor=actor,
                    )
                elif name == "results":
                    _load_result(item, programme)
                elif name in ("guarantee_calls", "guarantee_payments"):
                    _load_guarantee(name, item, on, programme, actor)
                elif name == "joint_payments_received":
                    _load_joint(item, on, programme, actor, payers)
                else:
                    outcome_payment_receive(
                        programme=programme,
                        payer=_payer(payers, item["payer"]),
                        amount=item["amount"],
                        received_on=on,
                        actor=actor,
                        advance=item.get("advance", False),
                    )
            except ValidationError as exc:
                raise ValidationError({path: exc.messages}) from exc
            except (PermissionDenied, ApplicationError) as exc:
                raise ValidationError({path: [str(exc)]}) from exc


def _money_post(
    programme: Programme,
    run: list[Entry],
    actor: User | None,
    commitments: dict[tuple[str, str], Commitment],
    payers: dict[str, Organisation],
) -> None:
    try:
        history_money_post(
            programme=programme,
            entries=run,
            actor=actor,
            commitments=commitments,
            payers=payers,
        )
    except (PermissionDenied, ApplicationError) as exc:
        raise ValidationError({run[0][0]: [str(exc)]}) from exc


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
            # Only a result declared additional (outcomes.cells) carries these two: a
            # definition dumped before they existed stays the same.
            **(
                {"additional": True, "additional_reason": r.additional_reason}
                if r.additional
                else {}
            ),
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
    joint = []
    for tx in (
        LedgerTransaction.objects.filter(
            programme=programme, kind=TransactionKind.PAYMENT_RECEIVED, reversal__isnull=True
        )
        .select_related("joint_payment__paid_by")
        .prefetch_related("legs__account__organisation")
        .order_by("occurred_on", "id")
    ):
        if hasattr(tx, "joint_payment"):
            joint.append(_joint_dumped(tx))
            continue
        # Dr cash, Cr receivable:<payer> and/or advance:<payer> for the part paid ahead
        # (payments.services.payment_received_record).
        credits = [leg for leg in tx.legs.all() if leg.credit]
        payer = credits[0].account.organisation
        assert payer is not None, f"payment {tx.pk} credits no payer's account"
        payment: dict[str, Any] = {
            "amount": sum(leg.credit for leg in credits),
            "on": tx.occurred_on.isoformat(),
            "payer": payer.slug,
        }
        if any(leg.account.kind == AccountKind.PAYER_ADVANCE for leg in credits):
            payment["advance"] = True
        payments.append(payment)
    calls = guarantee_movements(programme=programme, kind=TransactionKind.GUARANTEE_CALL)
    paid = guarantee_movements(programme=programme, kind=TransactionKind.GUARANTEE_PAYMENT)
    if not (drawdowns or results or payments or joint or calls or paid):
        return None
    history: dict[str, Any] = {
        "drawdowns": drawdowns,
        "payments_received": payments,
        "results": results,
    }
    # Only when there are any: a definition dumped before guarantees existed stays the same.
    if calls or paid:
        history.update(guarantee_calls=calls, guarantee_payments=paid)
    # Likewise: only when there are any.
    if joint:
        history["joint_payments_received"] = joint
    return history


def _joint_dumped(tx: LedgerTransaction) -> dict[str, Any]:
    """A joint payment as the format writes it: every part's amount, in leg order."""
    # Dr cash, Cr receivable:<payer> per payer settled (payments.joint_payments).
    credits = sorted((leg for leg in tx.legs.all() if leg.credit), key=lambda leg: leg.pk)
    settles = []
    for leg in credits:
        assert leg.account.organisation is not None, f"payment {tx.pk} credits no payer"
        settles.append({"amount": leg.credit, "payer": leg.account.organisation.slug})
    return {
        "amount": sum(leg.credit for leg in credits),
        "on": tx.occurred_on.isoformat(),
        "paid_by": tx.joint_payment.paid_by.slug,
        "settles": settles,
    }


def register() -> None:
    section_register(Section(SECTION, 90, validate_history, load_history, dump_history))
