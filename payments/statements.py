"""An investor's statement: its own slice of the actual schedule document.

A pure function of the document (no ORM), so that the worker's recompute stores each
investor's statement beside the document (payments.schedules) and a read of a state
with nothing stored computes the same one (payments.selectors_schedules). What an
investor may see is sib.privacy's rule: nothing about another investor, and of a
guarantee call only its own amount, not the call's total nor the other parties to it.
"""

from typing import Any

from sib.privacy import guarantee_call_for_investor


def statement_of(document: dict[str, Any], investor: str) -> dict[str, Any]:
    """Return one investor's lines, distributions, guarantee calls and metrics."""
    schedule = document["schedule"]
    calls = (guarantee_call_for_investor(c, investor) for c in schedule["guarantee_calls"])
    return {
        "chain_head": document["chain_head"],
        "contract_version": document["contract_version"],
        "currency": document["currency"],
        "distributions": [d for d in schedule["distributions"] if d["recipient"] == investor],
        "guarantee_calls": [c for c in calls if c is not None],
        "investor": investor,
        "lines": [line for line in schedule["lines"] if line["investor"] == investor],
        "metrics": next((i for i in document["investors"] if i["investor"] == investor), None),
        "programme": document["programme"],
    }
