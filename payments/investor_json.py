"""Each investor's part of a schedule document: its totals and its metrics, by id.

Kept apart from payments.schedule_builder, which assembles the whole document; the
metrics (XIRR, MOIC, DPI) are payments.engine.metrics, written as strings so that no
float enters the document.
"""

from decimal import Decimal
from typing import Any

from payments.engine.metrics import InvestorMetrics, schedule_metrics
from payments.engine.schedule import RepaymentSchedule


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
