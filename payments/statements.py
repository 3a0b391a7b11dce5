"""An investor's statement: what the ledger records it received, and the waterfall's proposal.

Two blocks, never mixed (docs/schedule-json.md, "Investor statements"):

- `to_date`: what the ledger records for the investor — drawn, principal repaid, return
  paid, returned, outstanding principal, XIRR, MOIC, DPI — read by payments.returns at
  the document's chain state, its lending commitments together; `null` for an investor
  with no lending commitment (a guarantor only);
- `proposed`: its own slice of the actual schedule document — the waterfall's lines,
  distributions, guarantee calls and metrics: what the waterfall proposes to pay, not
  what was paid.

A pure function of the document and the returns (no ORM), so that the worker's
recompute stores each investor's statement beside the document (payments.schedules) and
a read of a state with nothing stored computes the same one (payments.selectors_schedules).
What an investor may see is sib.privacy's rule: nothing about another investor, and of a
guarantee call only its own amount, not the call's total nor the other parties to it.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from payments.engine.metrics import Ratio, Xirr
from payments.returns import InvestorReturn
from sib.privacy import guarantee_call_for_investor


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _ratio(ratio: Ratio) -> dict[str, Any]:
    return {"reason": ratio.reason, "value": _dec(ratio.value)}


def _xirr(rate: Xirr) -> dict[str, Any]:
    return {"reason": rate.reason, "status": rate.status.value, "value": _dec(rate.value)}


def to_date_of(returns: InvestorReturn | None) -> dict[str, Any] | None:
    """Return what the ledger records for one investor, as the statement gives it."""
    if returns is None:
        return None
    return {
        "dpi": _ratio(returns.dpi),
        "drawn": returns.drawn,
        "moic": _ratio(returns.moic),
        "principal_outstanding": returns.principal_outstanding,
        "principal_repaid": returns.principal_repaid,
        "return_paid": returns.return_paid,
        "returned": returns.returned,
        "xirr": _xirr(returns.xirr),
    }


def statement_of(
    document: dict[str, Any], investor: str, returns: Iterable[InvestorReturn]
) -> dict[str, Any]:
    """Return one investor's figures to date (the ledger's) and the waterfall's proposal.

    `returns` are the investors' returns to date at the document's chain state, one per
    investor (payments.returns.investor_returns with `by_investor`).
    """
    schedule = document["schedule"]
    calls = (guarantee_call_for_investor(c, investor) for c in schedule["guarantee_calls"])
    return {
        "chain_head": document["chain_head"],
        "contract_version": document["contract_version"],
        "currency": document["currency"],
        "investor": investor,
        "programme": document["programme"],
        "proposed": {
            "distributions": [d for d in schedule["distributions"] if d["recipient"] == investor],
            "guarantee_calls": [c for c in calls if c is not None],
            "lines": [line for line in schedule["lines"] if line["investor"] == investor],
            "metrics": next((i for i in document["investors"] if i["investor"] == investor), None),
        },
        "to_date": to_date_of(next((r for r in returns if r.investor == investor), None)),
    }
