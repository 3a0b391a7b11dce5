"""Repayment schedules: from verified results and money received to what each investor gets.

The recompute (`programme_recompute`, run by the worker after each verification or payment
received) is idempotent by construction:

1. lock the programme row, so two recomputes of one programme run one after the other;
2. freeze the terms into a `ContractVersion`; when they differ from the latest version,
   append the new one to the programme's hash chain (so the chain head moves whenever an
   input of the schedule changes: results, ledger postings, or terms);
3. for the "actual" scenario and each default projection, if a `ScheduleVersion` exists at
   (programme, chain head, scenario) there is nothing to do; otherwise compute the canonical
   document and insert it (with the outcome payment lines of the actual scenario).

A duplicate or retried task therefore changes nothing, and a task killed half-way rolled
back everything it wrote. The document is canonical JSON (sorted keys, no spaces, ints for
money, strings for decimals): the same inputs always give the same bytes.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext

from payments.engine.metrics import InvestorMetrics, schedule_metrics
from payments.engine.schedule import PaymentReceived, RepaymentSchedule, compute_schedule
from payments.engine.waterfall import (
    AnnualRateCap,
    Drawdown,
    Investor,
    IrrCap,
    MultipleCap,
    ReturnCap,
    Step,
    Tranche,
    TrancheKind,
)
from payments.outcome_payments import (
    RECOMPUTE_TASK,
    Repeat,
    outcome_payments_compute,
    programme_rules,
    result_ids,
    savings_repayment_target,
    verified_inputs,
)
from payments.rules import OutcomePaymentPlan
from payments.waterfall_format import step_to_dict, steps_from_list
from sib.chain import (
    ChainKind,
    canonical_json,
    chain_append,
    chain_head,
    chain_kind_register,
    chain_lock,
)
from sib.models import Programme, ProgrammeStatus

CONTRACT_CHAIN_KIND = "payments.contract_version"
SCHEDULE_FORMAT = "sib-schedule"
SCHEDULE_FORMAT_VERSION = 1
ACTUAL = "actual"
DEFAULT_PROJECTIONS = (Decimal(0), Decimal(50), Decimal(75), Decimal(100), Decimal(125))


class ScheduleError(ValidationError):
    """The programme's terms or records cannot give a schedule (named in the message)."""


# --- Inputs -------------------------------------------------------------------------------


def _cap(cap_type: str, value: Decimal | None) -> ReturnCap | None:
    if value is None or cap_type == "none":
        return None
    if cap_type == "annual_rate":
        return AnnualRateCap(Decimal(value).normalize())
    if cap_type == "irr":
        return IrrCap(Decimal(value).normalize())
    return MultipleCap(Decimal(value).normalize())


def engine_tranches(
    *, programme: Programme, assume_fully_drawn: bool = False
) -> tuple[Tranche, ...]:
    """Return the programme's tranches as engine tranches (investors by organisation slug).

    Drawdowns whose ledger transaction was reversed do not count. With
    `assume_fully_drawn` (projections), a commitment with no drawdown yet is taken as
    drawn in full on its commitment date.
    """
    from payments.models import Commitment
    from payments.models import Drawdown as DrawdownRow
    from payments.models import Tranche as TrancheRow

    drawdowns: dict[int, list[Drawdown]] = defaultdict(list)
    rows = DrawdownRow.objects.filter(
        programme=programme, transaction__reversal__isnull=True
    ).order_by("called_on", "id")
    for row in rows:
        drawdowns[row.commitment_id].append(Drawdown(row.called_on, row.amount))
    by_tranche: dict[int, list[Investor]] = defaultdict(list)
    commitments = (
        Commitment.objects.filter(programme=programme)
        .select_related("investor", "tranche")
        .order_by("investor__slug")
    )
    for commitment in commitments:
        drawn = tuple(drawdowns.get(commitment.pk, ()))
        if (
            assume_fully_drawn
            and not drawn
            and commitment.tranche.kind != TrancheKind.GUARANTEE.value
        ):
            drawn = (Drawdown(commitment.committed_on, commitment.amount),)
        by_tranche[commitment.tranche_id].append(
            Investor(commitment.investor.slug, drawn, commitment.amount)
        )
    tranches = TrancheRow.objects.filter(programme=programme).select_related("protects")
    return tuple(
        Tranche(
            id=row.key,
            kind=TrancheKind(row.kind),
            investors=tuple(by_tranche.get(row.pk, ())),
            cap=_cap(row.cap_type, row.cap_value),
            protects=row.protects.key if row.protects else None,
        )
        for row in tranches.order_by("priority")
    )


def payments_received(*, programme: Programme) -> tuple[PaymentReceived, ...]:
    """Return the outcome payments received and not reversed, in posting order."""
    from payments.models import AccountKind, LedgerTransaction

    rows = (
        LedgerTransaction.objects.filter(
            programme=programme, kind="payment_received", reversal__isnull=True
        )
        .annotate(
            cash=Sum("legs__debit", filter=_cash_leg(AccountKind.PROGRAMME_CASH)),
        )
        .order_by("occurred_on", "id")
    )
    return tuple(PaymentReceived(row.occurred_on, int(row.cash or 0)) for row in rows)


def _cash_leg(kind: str) -> Any:
    from django.db.models import Q

    return Q(legs__account__kind=kind)


def waterfall_steps(*, programme: Programme) -> tuple[Step, ...]:
    """Return the programme's waterfall steps (none: every payment stays with the payer)."""
    from payments.models import PaymentTerms

    terms = PaymentTerms.objects.filter(programme=programme).first()
    return steps_from_list(terms.waterfall if terms else [])


def actual_end_date(programme: Programme) -> date | None:
    """Return when return stops and guarantees are called: termination or closure only."""
    if programme.status == ProgrammeStatus.TERMINATED:
        return programme.termination_date
    if programme.status == ProgrammeStatus.CLOSED:
        return programme.end_date
    return None


def projection_end_date(programme: Programme) -> date:
    if programme.status == ProgrammeStatus.TERMINATED and programme.termination_date:
        return programme.termination_date
    return programme.end_date


# --- Contract version ----------------------------------------------------------------------


def contract_definition(*, programme: Programme) -> dict[str, Any]:
    """Return every term the schedule depends on that the chain does not already carry."""
    rules = programme_rules(programme=programme)
    tranches = engine_tranches(programme=programme)
    return {
        "programme": {
            "currency": programme.currency,
            "end_date": programme.end_date.isoformat(),
            "start_date": programme.start_date.isoformat(),
            "status": programme.status,
            "termination_date": (
                programme.termination_date.isoformat() if programme.termination_date else None
            ),
        },
        "rules": _plain(rules.to_dict()),
        "savings_repayment_target": savings_repayment_target(programme=programme),
        "tranches": [
            {
                "cap": None if t.cap is None else [t.cap.kind, str(_cap_value(t.cap))],
                "commitments": [[i.id, i.commitment] for i in t.investors],
                "id": t.id,
                "kind": t.kind.value,
                "protects": t.protects,
            }
            for t in tranches
        ],
        "waterfall": [step_to_dict(step) for step in waterfall_steps(programme=programme)],
    }


def _cap_value(cap: ReturnCap) -> Decimal:
    return cap.multiple if isinstance(cap, MultipleCap) else cap.rate


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def contract_version_ensure(*, programme: Programme) -> Any:
    """Return the current contract version, appending a new one to the chain if terms changed."""
    from payments.models import ContractVersion

    text = canonical_json(contract_definition(programme=programme))
    digest = hashlib.sha256(text.encode()).hexdigest()
    latest = ContractVersion.objects.filter(programme=programme).order_by("-id").first()
    if latest is not None and latest.digest == digest:
        return latest
    version = ContractVersion.objects.create(programme=programme, digest=digest, definition=text)
    chain_append(
        programme=programme,
        kind=CONTRACT_CHAIN_KIND,
        object_id=version.pk,
        canonical=_contract_canonical(version.pk, programme.pk, text),
    )
    return version


def _contract_canonical(pk: int, programme_id: int, definition: str) -> str:
    # The digest is recomputed from the stored definition, so changing either breaks the chain.
    return canonical_json(
        {
            "definition_sha256": hashlib.sha256(definition.encode()).hexdigest(),
            "id": pk,
            "programme": programme_id,
        }
    )


def _load_contract_canonical(object_ids: list[str]) -> Any:
    from payments.models import ContractVersion

    ids = [int(i) for i in object_ids if i.isdigit()]
    for row in ContractVersion.objects.filter(pk__in=ids):
        yield str(row.pk), _contract_canonical(row.pk, row.programme_id, row.definition)


def register_chain_kind() -> None:
    chain_kind_register(ChainKind(CONTRACT_CHAIN_KIND, _load_contract_canonical))


# --- The document ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    percent: Decimal | None

    @property
    def is_projection(self) -> bool:
        return self.percent is not None


def scenario_for(percent: Decimal | int | str | None) -> Scenario:
    """Return "actual" for None, else "projection-<pct>" (pct normalised: 75, 62.5)."""
    if percent is None:
        return Scenario(ACTUAL, None)
    value = Decimal(str(percent))
    if not value.is_finite() or value < 0 or value > 1000:
        raise ValidationError(
            {"scenario": gettext("A scenario is a percentage of targets, 0 to 1000.")}
        )
    value = value.normalize()
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return Scenario(f"projection-{value}", value)


def plan_json(
    plan: OutcomePaymentPlan, repeats: tuple[Repeat, ...] = (), *, real_ids: bool = True
) -> dict[str, Any]:
    """Return the outcome payments part of the document (result ids as ints when real)."""
    data = plan.to_json_dict()
    for line in (*data["lines"], *data["not_payable"]):
        line["result_ids"] = (
            result_ids(tuple(line["result_ids"])) if real_ids else line["result_ids"]
        )
    totals: dict[str, dict[str, int]] = {"cohort": {}, "period": {}}
    for line in plan.lines:
        for key in ("cohort", "period"):
            name = getattr(line, key)
            totals[key][name] = totals[key].get(name, 0) + line.amount
    data["cohort_totals"] = dict(sorted(totals["cohort"].items()))
    data["period_totals"] = dict(sorted(totals["period"].items()))
    data["repeats"] = [
        {
            "achieved_on": r.achieved_on.isoformat(),
            "cohort": r.cohort,
            "metric": r.metric,
            "paid_result_id": r.paid_result_id,
            "period": r.period,
            "reason": "participant_already_paid_for_metric",
            "result_id": r.result_id,
        }
        for r in repeats
    ]
    return data


def investors_json(schedule: RepaymentSchedule) -> list[dict[str, Any]]:
    """Return each investor's totals and metrics, all its tranches together, by id."""
    totals: dict[str, dict[str, int]] = {}
    for line in schedule.final_lines():
        row = totals.setdefault(
            line.investor,
            {
                "drawn": 0,
                "guarantee_received": 0,
                "outstanding_principal": 0,
                "principal_repaid": 0,
                "return_paid": 0,
            },
        )
        row["drawn"] += line.drawn_to_date
        row["principal_repaid"] += line.cumulative_principal_repaid
        row["return_paid"] += line.cumulative_return_paid
        row["guarantee_received"] += line.cumulative_guarantee_received
        row["outstanding_principal"] += line.outstanding_principal
    metrics = schedule_metrics(schedule)
    return [
        {"investor": investor, **totals[investor], **_metrics_json(metrics[investor])}
        for investor in sorted(totals)
    ]


def _metrics_json(m: InvestorMetrics) -> dict[str, Any]:
    return {
        "category": m.category.value if m.category else None,
        "dpi": {"reason": m.dpi.reason, "value": _dec(m.dpi.value)},
        "moic": {"reason": m.moic.reason, "value": _dec(m.moic.value)},
        "returned": m.returned,
        "xirr": {
            "reason": m.xirr.reason,
            "status": m.xirr.status.value,
            "value": _dec(m.xirr.value),
        },
    }


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def build_document(
    *,
    programme: Programme,
    scenario: Scenario,
    chain_head_hash: str,
    contract_digest: str,
    plan: OutcomePaymentPlan,
    plan_data: dict[str, Any],
    payments: tuple[PaymentReceived, ...],
    tranches: tuple[Tranche, ...],
    end_date: date | None,
) -> dict[str, Any]:
    """Run the waterfall and return the whole canonical-ready schedule document."""
    steps = waterfall_steps(programme=programme)
    try:
        schedule = compute_schedule(
            tranches=tranches, payments=payments, steps=steps, end_date=end_date
        )
    except ValueError as exc:
        raise ScheduleError(
            gettext("The programme's terms give no schedule: %(reason)s") % {"reason": exc}
        ) from exc
    return {
        "chain_head": chain_head_hash,
        "contract_version": contract_digest,
        "currency": programme.currency,
        "end_date": end_date.isoformat() if end_date else None,
        "format": SCHEDULE_FORMAT,
        "investors": investors_json(schedule),
        "outcome_payments": plan_data,
        "percent": None if scenario.percent is None else str(scenario.percent),
        "programme": programme.slug,
        "projection": scenario.is_projection,
        "scenario": scenario.name,
        "schedule": schedule.to_json_dict(),
        "version": SCHEDULE_FORMAT_VERSION,
        "waterfall": [step_to_dict(step) for step in steps],
    }


def actual_document(
    *, programme: Programme, chain_head_hash: str, contract_digest: str
) -> tuple[dict[str, Any], OutcomePaymentPlan]:
    """Return the actual schedule document and its outcome payment plan."""
    inputs = verified_inputs(programme=programme)
    plan = outcome_payments_compute(programme=programme, inputs=inputs)
    document = build_document(
        programme=programme,
        scenario=scenario_for(None),
        chain_head_hash=chain_head_hash,
        contract_digest=contract_digest,
        plan=plan,
        plan_data=plan_json(plan, inputs.repeats),
        payments=payments_received(programme=programme),
        tranches=engine_tranches(programme=programme),
        end_date=actual_end_date(programme),
    )
    return document, plan


def document_for(
    *, programme: Programme, scenario: Scenario, chain_head_hash: str, contract_digest: str
) -> dict[str, Any]:
    """Return the document of any scenario (computed, not stored)."""
    if not scenario.is_projection:
        return actual_document(
            programme=programme, chain_head_hash=chain_head_hash, contract_digest=contract_digest
        )[0]
    from payments.projections import projection_document

    assert scenario.percent is not None
    return projection_document(
        programme=programme,
        scenario=scenario,
        chain_head_hash=chain_head_hash,
        contract_digest=contract_digest,
    )


def document_bytes(document: dict[str, Any]) -> str:
    return canonical_json(document)


# --- Storing -------------------------------------------------------------------------------


def _store(
    *,
    programme: Programme,
    scenario: Scenario,
    head: str,
    contract: Any,
    plan: OutcomePaymentPlan | None = None,
) -> Any:
    from payments.models import OutcomePaymentLine, ScheduleVersion

    existing = ScheduleVersion.objects.filter(
        programme=programme, chain_head=head, scenario=scenario.name
    ).first()
    if existing is not None:
        return existing
    if scenario.is_projection:
        document = document_for(
            programme=programme,
            scenario=scenario,
            chain_head_hash=head,
            contract_digest=contract.digest,
        )
    else:
        document, plan = actual_document(
            programme=programme, chain_head_hash=head, contract_digest=contract.digest
        )
    text = document_bytes(document)
    version = ScheduleVersion.objects.create(
        programme=programme,
        chain_head=head,
        scenario=scenario.name,
        is_projection=scenario.is_projection,
        contract_version=contract,
        content=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )
    if plan is not None:
        OutcomePaymentLine.objects.bulk_create(
            [
                OutcomePaymentLine(
                    programme=programme,
                    version=version,
                    position=position,
                    metric=line.metric,
                    cohort=line.cohort,
                    period=line.period,
                    result_ids=result_ids(line.result_ids),
                    count=line.count,
                    amount=line.amount,
                    unit_price=line.unit_price,
                    improvement=line.improvement,
                    share_percent=line.share_percent,
                    payers=[{"amount": p.amount, "payer": p.payer} for p in line.payers],
                )
                for position, line in enumerate(plan.lines, start=1)
                if line.amount > 0
            ]
        )
    return version


def programme_recompute(
    *, programme_id: int, projections: tuple[Decimal, ...] = DEFAULT_PROJECTIONS
) -> list[Any]:
    """Compute and store the actual schedule and the default projections at the chain head."""
    with transaction.atomic():
        # The chain lock serialises recomputes of one programme (two workers would otherwise
        # both find no version at the head and the second insert would fail), in the same
        # lock order as verifications and postings (see sib.chain.chain_lock).
        chain_lock(programme_id=programme_id)
        programme = Programme.objects.get(pk=programme_id)
        contract = contract_version_ensure(programme=programme)
        head = chain_head(programme_id=programme.pk)
        scenarios = [scenario_for(None), *(scenario_for(p) for p in projections)]
        versions = []
        for scenario in scenarios:
            _test_pause()
            versions.append(
                _store(programme=programme, scenario=scenario, head=head, contract=contract)
            )
        _test_pause()
        return versions


def _test_pause() -> None:
    # Test hook, set only by the test settings (tests/settings.py), absent in production:
    # the SIGKILL test (tests/payments/test_recompute_worker.py) stretches a recompute so
    # that its worker can be killed between any two steps, with some scenarios written and
    # not committed. It only sleeps; what is computed and stored is the same.
    pause_ms = getattr(settings, "RECOMPUTE_TEST_PAUSE_MS", 0)
    if pause_ms:
        time.sleep(pause_ms / 1000)


def schedule_version_ensure(*, programme: Programme, percent: Decimal | None = None) -> Any:
    """Return the stored version of one scenario at the current head, computing it if needed."""
    with transaction.atomic():
        chain_lock(programme_id=programme.pk)
        locked = Programme.objects.get(pk=programme.pk)
        contract = contract_version_ensure(programme=locked)
        head = chain_head(programme_id=locked.pk)
        return _store(
            programme=locked, scenario=scenario_for(percent), head=head, contract=contract
        )


def recompute_enqueue(*, programme: Programme) -> None:
    """Have the worker recompute the programme once the current transaction commits."""
    from sib.outbox import outbox_enqueue

    outbox_enqueue(task_name=RECOMPUTE_TASK, kwargs={"programme_id": programme.pk})
