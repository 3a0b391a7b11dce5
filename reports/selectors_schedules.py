"""The repayment schedules of one chain state, for the manager edition's waterfall and scenarios.

The documents are payments' own (`payments.schedule_builder.schedule_documents`, the one
builder every reader calls), at the report's state: the actual schedule and the default
projections (`DEFAULT_PROJECTIONS`). The builder serves those the worker stored at that
head, and computes the others from the state alone (the contract version chained last at
or before it, the ledger and the results as chained then), so a state gives the same PDF
whichever route was taken. A state before the first contract version has no schedule: its
terms were never frozen.

Reads only: nothing here writes, so building a report never moves the chain head.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from payments.contract import contract_terms, contract_version_at
from payments.engine.terms import TrancheKind
from payments.schedule_builder import DEFAULT_PROJECTIONS, schedule_documents
from sib.models import Programme


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


@dataclass(frozen=True, slots=True)
class StateSchedules:
    """The actual schedule and the default projections of one chain state."""

    actual: ScheduleFigures
    projections: tuple[ScheduleFigures, ...]
    # Tranche key -> (kind, cap kind or None, cap value or None), from the contract version.
    tranches: dict[str, tuple[str, str | None, Decimal | None]]


def schedules_as_of(
    *, programme: Programme, seq: int, head: str | None = None
) -> StateSchedules | None:
    """Return the schedules of the state ending at chain entry `seq`.

    None before the first contract version. (`head`, that entry's hash, is read from `seq`
    by the builder; the argument is only there for callers that have it.)
    """
    contract = contract_version_at(programme=programme, seq=seq)
    if contract is None:
        return None
    tranches = _tranche_terms(contract_terms(contract))
    documents = schedule_documents(
        programme=programme, at=seq, percents=(None, *DEFAULT_PROJECTIONS)
    )
    figures = [_figures(document, tranches) for document in documents]
    return StateSchedules(actual=figures[0], projections=tuple(figures[1:]), tranches=tranches)


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
    document: dict[str, Any], tranches: dict[str, tuple[str, str | None, Decimal | None]]
) -> ScheduleFigures:
    percent = None if document["percent"] is None else Decimal(document["percent"])
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
        principal += line["proposed_principal_repayment"]
        ret += line["proposed_return_payment"]
        guaranteed += line["proposed_guarantee_payment"]
        flows[line["on"]] += (
            line["proposed_principal_repayment"]
            + line["proposed_return_payment"]
            + line["proposed_guarantee_payment"]
            - line["drawn"]
        )
    total = document["outcome_payments"].get("total") if percent is not None else None
    return ScheduleFigures(
        scenario=document["scenario"],
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
    )
