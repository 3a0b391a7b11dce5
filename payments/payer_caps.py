"""Each payer's cap as its dues use it: the one reading every page, notice and API shows.

A payer's cap (`ProgrammeParty.payer_cap`, payments.rules.payers) is the most the
contract makes it owe over the whole programme. The engine applies it when it prices the
verified results, and the schedule document says what it did: the cap's headroom
(`headroom`, cap "payer_cap": limit, used, remaining) and, per line, what the cap stopped
(`not_payable`, reason "payer_cap", with the payer). This module only reads those two
parts of the actual schedule document (payments.schedule_builder), at the current head
or at a chain state, so the portal, the payer's notice and the API print the same figures
and nothing is computed a second time. What a cap stops is owed by no one: it is not
moved to the other payers, except to the residual payer of the same payment (a payer
whose share is "the rest"), which owes it up to its own cap (payments.rules.payers).
"""

from dataclasses import dataclass
from typing import Any

from payments.schedule_builder import ScheduleError, schedule_document
from sib.models import Programme, ProgrammeParty


@dataclass(frozen=True)
class PayerCap:
    """One payer's cap (minor units): the limit, what its dues use of it, what is left,
    and what the cap has stopped (priced by the results but owed by no one)."""

    payer: str
    cap: int
    used: int
    remaining: int
    stopped: int


def payer_caps_from_plan(outcome_payments: dict[str, Any]) -> dict[str, PayerCap]:
    """Return payer slug -> its cap, read from a schedule document's outcome payments."""
    stopped: dict[str, int] = {}
    for line in outcome_payments.get("not_payable", []):
        if line["reason"] == "payer_cap" and line.get("payer"):
            stopped[line["payer"]] = stopped.get(line["payer"], 0) + line["amount"]
    return {
        item["payer"]: PayerCap(
            payer=item["payer"],
            cap=item["limit"],
            used=item["used"],
            remaining=item["remaining"],
            stopped=stopped.get(item["payer"], 0),
        )
        for item in outcome_payments.get("headroom", [])
        if item["cap"] == "payer_cap" and item.get("payer")
    }


def payer_caps(*, programme: Programme, at: int | None = None) -> dict[str, PayerCap]:
    """Return payer slug -> its cap at the current head (or chain entry `at`); payers with
    no cap are left out, and so is every payer while the terms give no schedule."""
    try:
        document = schedule_document(programme=programme, at=at)
    except ScheduleError:
        # No contract version yet (a draft) or terms that give no schedule: the pages say
        # so where the schedule is shown; here there is simply no cap reading.
        return {}
    return payer_caps_from_plan(document["outcome_payments"])


def rest_payer_name(*, programme: Programme) -> str | None:
    """Return the name of the programme's residual payer (it pays "the rest"), or None."""
    party = (
        ProgrammeParty.objects.filter(programme=programme, payer_residual=True)
        .select_related("organisation")
        .first()
    )
    return party.organisation.name if party else None
