"""Reads of schedules beyond the document itself: an investor's statement."""

from typing import Any

from payments.schedule_builder import schedule_document
from sib.models import Programme
from sib.privacy import guarantee_call_for_investor


def investor_statement(*, programme: Programme, investor: str) -> dict[str, Any]:
    """Return one investor's part of the actual schedule: its lines, distributions, metrics.

    Nothing about another investor (sib.privacy): a guarantee call keeps only this
    investor's own amount, not the call's total nor the other parties to it.
    """
    document = schedule_document(programme=programme)
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
