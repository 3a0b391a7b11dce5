"""Reads of schedules beyond the document itself: an investor's statement."""

from typing import Any

from payments.schedule_builder import schedule_document
from sib.models import Programme


def investor_statement(*, programme: Programme, investor: str) -> dict[str, Any]:
    """Return one investor's part of the actual schedule: its lines, distributions, metrics."""
    document = schedule_document(programme=programme)
    schedule = document["schedule"]
    return {
        "chain_head": document["chain_head"],
        "contract_version": document["contract_version"],
        "currency": document["currency"],
        "distributions": [d for d in schedule["distributions"] if d["recipient"] == investor],
        "guarantee_calls": [
            c
            for c in schedule["guarantee_calls"]
            if investor in {i for i, _ in c["paid_to"]} | {i for i, _ in c["paid_by"]}
        ],
        "investor": investor,
        "lines": [line for line in schedule["lines"] if line["investor"] == investor],
        "metrics": next((i for i in document["investors"] if i["investor"] == investor), None),
        "programme": document["programme"],
    }
