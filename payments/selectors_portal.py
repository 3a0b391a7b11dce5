"""Reads the money pages of the portal need beyond payments.selectors: totals to show.

Money figures come from the ledger's position (payments.position); forecasts from the
schedule documents (payments.schedule_builder, the same the API serves). Nothing is
written here.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from payments.cap_use import cap_remaining, cap_share_used
from payments.position import programme_position
from payments.schedule_builder import (
    DEFAULT_PROJECTIONS,
    schedule_document,
    schedule_documents,
)
from payments.selectors import commitment_aggregates
from sib.models import Organisation, Programme
from sib.privacy import Audience


def organisation_names(slugs: set[str]) -> dict[str, str]:
    """Return slug -> name, for the schedule documents' recipients."""
    return dict(Organisation.objects.filter(slug__in=slugs).values_list("slug", "name"))


@dataclass(frozen=True)
class Overview:
    chain_head: str
    currency: str
    tranches: list[dict[str, Any]]
    committed: int
    drawn: int
    outcome_payments_due: int
    disputed: int
    received: int
    still_to_pay: int
    distributed: int
    contract_cap: int | None
    # The cap less the outcome payments due, and those dues ÷ the cap: one rule
    # (payments.cap_use), the figures the API and the reports give.
    cap_remaining: int | None
    cap_used: Fraction | None
    next_repayments: list[dict[str, Any]]


def money_overview(*, programme: Programme, today: date) -> Overview:
    """Return the fund manager's dashboard figures at the programme's current chain head.

    Money figures come from the ledger's position (payments.position), as everywhere, the
    cap's use too (payments.cap_use); the forecast from the schedule documents.
    """
    actual = schedule_document(programme=programme)
    totals = programme_position(programme=programme).totals
    # The dashboard is the fund manager's, who sees every investor by name.
    tranches = commitment_aggregates(programme_id=programme.pk, audience=Audience.FUND_MANAGER)
    forecast = schedule_document(programme=programme, percent=Decimal(100))
    upcoming = [d for d in forecast["schedule"]["distributions"] if d["on"] > today.isoformat()]
    return Overview(
        chain_head=actual["chain_head"],
        currency=actual["currency"],
        tranches=tranches,
        committed=totals["committed"],
        drawn=totals["drawn"],
        outcome_payments_due=totals["due"],
        disputed=totals["disputed"],
        received=totals["received"],
        still_to_pay=totals["still_to_pay"],
        distributed=totals["distributed"],
        contract_cap=programme.contract_cap,
        cap_remaining=cap_remaining(totals=totals, cap=programme.contract_cap),
        cap_used=cap_share_used(totals=totals, cap=programme.contract_cap),
        next_repayments=upcoming[:8],
    )


def scenario_documents(
    *, programme: Programme, extra: Decimal | None = None
) -> list[tuple[Decimal, dict[str, Any]]]:
    """Return the projection documents of the default scenarios (and `extra`), in order."""
    percents = sorted({*DEFAULT_PROJECTIONS, *([extra] if extra is not None else [])})
    documents = schedule_documents(programme=programme, percents=percents)
    return list(zip(percents, documents, strict=True))
