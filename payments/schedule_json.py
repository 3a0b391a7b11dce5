"""Two parts of a schedule document as JSON: the outcome payments and each investor's.

Kept apart from payments.schedule_builder, which computes and assembles the whole
document. The outcome payments part adds, to the engine's plan, result ids, totals per
cohort and period and the participant outcomes not paid (`repeats`); each investor's part
is its totals and its metrics (XIRR, MOIC, DPI) by id, written as strings so that no float
enters the document.
"""

from decimal import Decimal
from typing import Any

from payments.engine.metrics import InvestorMetrics, schedule_metrics
from payments.engine.schedule import RepaymentSchedule
from payments.outcome_payments import Repeat, result_ids
from payments.rules import OutcomePaymentPlan
from payments.rules.programme import GRANT_METRIC


def investors_json(schedule: RepaymentSchedule) -> list[dict[str, Any]]:
    """Return each investor's totals and metrics, all its tranches together, by id.

    What the waterfall proposes to pay, named as proposed (`proposed_returned`, ...):
    what was paid is the ledger's (payments.returns).
    """
    totals: dict[str, dict[str, int]] = {}
    for line in schedule.final_lines():
        row = totals.setdefault(
            line.investor,
            {
                "drawn": 0,
                "outstanding_principal": 0,
                "proposed_guarantee_payment": 0,
                "proposed_principal_repayment": 0,
                "proposed_return_payment": 0,
            },
        )
        row["drawn"] += line.drawn_to_date
        row["proposed_principal_repayment"] += line.cumulative_principal_repaid
        row["proposed_return_payment"] += line.cumulative_return_paid
        row["proposed_guarantee_payment"] += line.cumulative_guarantee_received
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
        "proposed_returned": m.returned,
        "xirr": {
            "reason": m.xirr.reason,
            "status": m.xirr.status.value,
            "value": _dec(m.xirr.value),
        },
    }


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


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
        # A grant (cohort GRANT_METRIC) pays for its period, no cohort's results.
        for key in ("cohort", "period") if line.cohort != GRANT_METRIC else ("period",):
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
