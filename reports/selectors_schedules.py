"""The repayment schedules of one chain state, for the manager edition's waterfall and scenarios.

payments stores one schedule document per (programme, chain head, scenario)
(`payments.ScheduleVersion`, written by the recompute after each verification, payment or
drawdown). A report of a state uses the documents stored at exactly its chain head. The
recompute runs after the fact, though, and a state that stopped being the head before it
ran never gets any; so when none is stored the same figures are computed here, from that
state alone:

- the terms: the contract version chained last at or before the state (its canonical
  definition carries the rules, tranches and commitments, the waterfall, the programme's
  dates and status);
- the money: drawdowns and outcome payments received whose ledger transactions are chained
  at or before the state, less those whose reversal is;
- projections (0, 50, 75, 100 and 125 % of targets, `payments.schedules.DEFAULT_PROJECTIONS`):
  forecast results from the metrics' targets (`payments.projections.forecast_inputs`), as
  the stored projections are; nothing verified enters a projection.

The recompute freezes the terms into a contract version before it reads the head, so a
document stored at a head was computed from exactly these inputs: both routes give the
same figures, and a state gives the same PDF whichever route was taken
(tests/reports/test_manager_schedules.py compares them). A state before the first contract
version has no schedule: its terms were never frozen.

Reads only: nothing here writes, so building a report never moves the chain head.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from payments.engine.schedule import PaymentReceived, compute_schedule
from payments.engine.waterfall import (
    AnnualRateCap,
    Drawdown,
    Investor,
    IrrCap,
    MultipleCap,
    ReturnCap,
    Tranche,
    TrancheKind,
)
from sib.chain import canonical_json
from sib.models import ChainEntry, Programme

LEDGER = "ledger_transaction"


@dataclass(frozen=True, slots=True)
class ScheduleFigures:
    """What a report prints of one schedule document (actual or projection).

    Investor totals and flows cover lenders only (no guarantee tranche), like the public
    edition's aggregate; guarantee money received by a lender counts as returned to it.
    """

    scenario: str
    percent: Decimal | None
    # The waterfall as stored: step objects (payments.waterfall_format) in order.
    steps: tuple[dict[str, Any], ...]
    # Distributed per step, same order as `steps`.
    by_step: tuple[int, ...]
    received: int
    residual: int
    guarantee_called: int
    # What payers owe under the projection's forecast (None for the actual schedule).
    outcome_payments: int | None
    drawn: int
    principal_repaid: int
    return_paid: int
    guarantee_received: int
    # Net dated flows of all lenders together: drawdowns negative, money back positive.
    flows: tuple[tuple[date, int], ...]
    stored: bool


@dataclass(frozen=True, slots=True)
class StateSchedules:
    """The actual schedule and the default projections of one chain state."""

    actual: ScheduleFigures
    projections: tuple[ScheduleFigures, ...]
    # Tranche key -> (kind, cap kind or None, cap value or None), from the contract version.
    tranches: dict[str, tuple[str, str | None, Decimal | None]]


def schedules_as_of(
    *, programme: Programme, seq: int, head: str, use_stored: bool = True
) -> StateSchedules | None:
    """Return the schedules of the state ending at chain entry `seq` (hash `head`).

    None before the first contract version. `use_stored=False` computes every document
    from the state even when one is stored (tests compare the two routes).
    """
    from payments.models import ContractVersion, ScheduleVersion
    from payments.schedules import CONTRACT_CHAIN_KIND, DEFAULT_PROJECTIONS, scenario_for

    entry = (
        ChainEntry.objects.filter(programme=programme, kind=CONTRACT_CHAIN_KIND, seq__lte=seq)
        .order_by("-seq")
        .first()
    )
    if entry is None:
        return None
    contract = ContractVersion.objects.get(pk=int(entry.object_id), programme=programme)
    terms = json.loads(contract.definition)
    scenarios = [scenario_for(None), *(scenario_for(p) for p in DEFAULT_PROJECTIONS)]
    stored: dict[str, Any] = {}
    if use_stored:
        stored = {
            version.scenario: version
            for version in ScheduleVersion.objects.filter(
                programme=programme, chain_head=head, scenario__in=[s.name for s in scenarios]
            ).select_related("contract_version")
        }
    tranches = _tranche_terms(terms)
    state: _State | None = None
    figures = []
    for scenario in scenarios:
        version = stored.get(scenario.name)
        if version is not None:
            document = json.loads(version.content)
            kinds = _tranche_terms(json.loads(version.contract_version.definition))
        else:
            if state is None:
                state = _state(programme, seq)
            document = _document(programme, terms, state, scenario.percent)
            kinds = tranches
        figures.append(_figures(document, kinds, scenario.name, scenario.percent, version))
    return StateSchedules(actual=figures[0], projections=tuple(figures[1:]), tranches=tranches)


# --- the state's money -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _State:
    # (tranche key, investor slug) -> drawdowns, in (date, id) order.
    drawdowns: dict[tuple[str, str], list[Drawdown]]
    payments: tuple[PaymentReceived, ...]


def _state(programme: Programme, seq: int) -> _State:
    """Return the drawdowns and payments received standing at chain entry `seq`."""
    from payments.models import AccountKind, LedgerTransaction, Leg
    from payments.models import Drawdown as DrawdownRow

    chained = {
        int(object_id)
        for object_id in ChainEntry.objects.filter(
            programme=programme, kind=LEDGER, seq__lte=seq
        ).values_list("object_id", flat=True)
    }
    reversed_ids = {
        original
        for tx_id, original in LedgerTransaction.objects.filter(
            programme=programme, kind="reversal"
        ).values_list("id", "reverses_id")
        if tx_id in chained
    }

    def standing(tx_id: int) -> bool:
        return tx_id in chained and tx_id not in reversed_ids

    drawdowns: dict[tuple[str, str], list[Drawdown]] = defaultdict(list)
    rows = (
        DrawdownRow.objects.filter(programme=programme)
        .order_by("called_on", "id")
        .values_list(
            "commitment__tranche__key", "commitment__investor__slug", "called_on", "amount",
            "transaction_id",
        )
    )  # fmt: skip
    for tranche, investor, called_on, amount, tx_id in rows:
        if standing(tx_id):
            drawdowns[(tranche, investor)].append(Drawdown(called_on, amount))
    cash: dict[int, int] = defaultdict(int)
    for tx_id, debit in Leg.objects.filter(
        transaction__programme=programme,
        transaction__kind="payment_received",
        account__kind=AccountKind.PROGRAMME_CASH,
    ).values_list("transaction_id", "debit"):
        cash[tx_id] += debit
    received = LedgerTransaction.objects.filter(programme=programme, kind="payment_received")
    payments = tuple(
        PaymentReceived(on, cash[tx_id])
        for tx_id, on in received.order_by("occurred_on", "id").values_list("id", "occurred_on")
        if standing(tx_id)
    )
    return _State(drawdowns=dict(drawdowns), payments=payments)


# --- computing a document from the terms and the state -----------------------------------


def _cap(cap: list[str] | None) -> ReturnCap | None:
    if cap is None:
        return None
    kind, value = cap
    number = Decimal(value).normalize()
    if kind == AnnualRateCap.kind:
        return AnnualRateCap(number)
    if kind == IrrCap.kind:
        return IrrCap(number)
    return MultipleCap(number)


def _engine_tranches(
    programme: Programme, terms: dict[str, Any], state: _State, *, assume_fully_drawn: bool
) -> tuple[Tranche, ...]:
    """Return the engine tranches of the contract terms with the state's drawdowns.

    As `payments.schedules.engine_tranches`: with `assume_fully_drawn` (projections), a
    lender with no drawdown yet is taken as drawn in full on its commitment date.
    """
    committed_on: dict[tuple[str, str], date] = {}
    if assume_fully_drawn:
        from payments.models import Commitment

        committed_on = {
            (tranche, investor): on
            for tranche, investor, on in Commitment.objects.filter(programme=programme).values_list(
                "tranche__key", "investor__slug", "committed_on"
            )
        }
    tranches = []
    for item in terms["tranches"]:
        kind = TrancheKind(item["kind"])
        investors = []
        for investor, amount in item["commitments"]:
            drawn = tuple(state.drawdowns.get((item["id"], investor), ()))
            if assume_fully_drawn and not drawn and kind is not TrancheKind.GUARANTEE:
                drawn = (Drawdown(committed_on[(item["id"], investor)], amount),)
            investors.append(Investor(investor, drawn, amount))
        tranches.append(
            Tranche(
                id=item["id"],
                kind=kind,
                investors=tuple(investors),
                cap=_cap(item["cap"]),
                protects=item["protects"],
            )
        )
    return tuple(tranches)


def _dates(terms: dict[str, Any]) -> tuple[date | None, date, date | None]:
    """Return (actual end, projection end, termination) as payments.schedules reads them."""
    programme = terms["programme"]
    end = date.fromisoformat(programme["end_date"])
    terminated = programme["status"] == "terminated"
    termination = programme["termination_date"]
    termination_date = date.fromisoformat(termination) if termination else None
    if terminated:
        actual_end = termination_date
    elif programme["status"] == "closed":
        actual_end = end
    else:
        actual_end = None
    projection_end = termination_date if terminated and termination_date else end
    return actual_end, projection_end, termination_date if terminated else None


def _document(
    programme: Programme, terms: dict[str, Any], state: _State, percent: Decimal | None
) -> dict[str, Any]:
    """Return the parts of the schedule document a report reads, as stored (canonical JSON)."""
    from outcomes.mechanisms import ProgrammeRules, SavingsShareMechanism
    from outcomes.models import MeasurementPeriod
    from payments.projections import forecast_inputs
    from payments.rules import compute_outcome_payments
    from payments.schedules import investors_json
    from payments.waterfall_format import steps_from_list

    steps = steps_from_list(terms["waterfall"])
    actual_end, projection_end, terminated_on = _dates(terms)
    outcome_payments: dict[str, Any] = {}
    if percent is None:
        payments = state.payments
        tranches = _engine_tranches(programme, terms, state, assume_fully_drawn=False)
        end_date = actual_end
    else:
        # As payments.projections.projection_document.
        rules = ProgrammeRules.from_dict(terms["rules"])
        needs_target = any(isinstance(m.mechanism, SavingsShareMechanism) for m in rules.metrics)
        inputs = forecast_inputs(programme=programme, percent=percent)
        plan = compute_outcome_payments(
            rules=rules,
            participant_outcomes=inputs.participant_outcomes,
            aggregate_results=inputs.aggregate_results,
            comparison_results=inputs.comparison_results,
            target_results=inputs.target_results,
            savings_results=inputs.savings_results,
            repayment_target=terms["savings_repayment_target"] if needs_target else None,
            terminated_on=terminated_on,
        )
        ends = dict(
            MeasurementPeriod.objects.filter(programme=programme).values_list("code", "end_date")
        )
        by_date: dict[date, int] = defaultdict(int)
        for line in plan.lines:
            by_date[ends[line.period]] += line.amount
        payments = tuple(
            PaymentReceived(on, amount) for on, amount in sorted(by_date.items()) if amount > 0
        )
        tranches = _engine_tranches(programme, terms, state, assume_fully_drawn=True)
        end_date = projection_end
        outcome_payments = {"total": plan.total}
    schedule = compute_schedule(
        tranches=tranches, payments=payments, steps=steps, end_date=end_date
    )
    document = {
        "investors": investors_json(schedule),
        "outcome_payments": outcome_payments,
        "schedule": schedule.to_json_dict(),
        "waterfall": terms["waterfall"],
    }
    # Through JSON, so that both routes hand `_figures` the same types.
    loaded: dict[str, Any] = json.loads(canonical_json(document))
    return loaded


# --- reading a document --------------------------------------------------------------------


def _tranche_terms(terms: dict[str, Any]) -> dict[str, tuple[str, str | None, Decimal | None]]:
    return {
        item["id"]: (
            item["kind"],
            item["cap"][0] if item["cap"] else None,
            Decimal(item["cap"][1]) if item["cap"] else None,
        )
        for item in terms["tranches"]
    }


def _figures(
    document: dict[str, Any],
    tranches: dict[str, tuple[str, str | None, Decimal | None]],
    scenario: str,
    percent: Decimal | None,
    version: Any,
) -> ScheduleFigures:
    schedule = document["schedule"]
    steps = tuple(document["waterfall"])
    by_step = [0] * len(steps)
    for row in schedule["distributions"]:
        by_step[row["step_index"]] += row["amount"]
    lenders = {key for key, (kind, _, _) in tranches.items() if kind != TrancheKind.GUARANTEE}
    drawn = principal = ret = guaranteed = 0
    flows: dict[str, int] = defaultdict(int)
    for line in schedule["lines"]:
        if line["tranche"] not in lenders:
            continue
        drawn += line["drawn"]
        principal += line["principal_repaid"]
        ret += line["return_paid"]
        guaranteed += line["guarantee_received"]
        flows[line["on"]] += (
            line["principal_repaid"]
            + line["return_paid"]
            + line["guarantee_received"]
            - line["drawn"]
        )
    total = document["outcome_payments"].get("total") if percent is not None else None
    return ScheduleFigures(
        scenario=scenario,
        percent=percent,
        steps=steps,
        by_step=tuple(by_step),
        received=schedule["totals"]["received"],
        residual=schedule["totals"]["residual"],
        guarantee_called=sum(call["amount"] for call in schedule["guarantee_calls"]),
        outcome_payments=total,
        drawn=drawn,
        principal_repaid=principal,
        return_paid=ret,
        guarantee_received=guaranteed,
        flows=tuple((date.fromisoformat(on), amount) for on, amount in sorted(flows.items())),
        stored=version is not None,
    )
