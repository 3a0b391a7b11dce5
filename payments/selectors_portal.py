"""Reads the money pages of the portal need beyond payments.selectors: totals to show.

Everything comes from the schedule documents (payments.schedule_builder, the same the
API serves) and the ledger; nothing is written here.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from payments.models import AccountKind, Leg, TransactionKind
from payments.schedule_builder import (
    DEFAULT_PROJECTIONS,
    schedule_document,
    schedule_documents,
)
from payments.selectors import commitment_aggregates
from sib.models import Organisation, Programme


def organisation_names(slugs: set[str]) -> dict[str, str]:
    """Return slug -> name, for the schedule documents' recipients."""
    return dict(Organisation.objects.filter(slug__in=slugs).values_list("slug", "name"))


def payments_received_by_payer(*, programme: Programme) -> dict[str, int]:
    """Return payer slug -> outcome payments received and not reversed (minor units)."""
    rows = (
        Leg.objects.filter(
            transaction__programme=programme,
            transaction__kind=TransactionKind.PAYMENT_RECEIVED,
            transaction__reversal__isnull=True,
            account__kind=AccountKind.PAYER_RECEIVABLE,
        )
        .values_list("account__organisation__slug")
        .annotate(total=Sum("credit"))
    )
    return {slug: total for slug, total in rows}


@dataclass(frozen=True)
class Overview:
    chain_head: str
    currency: str
    tranches: list[dict[str, Any]]
    committed: int
    drawn: int
    outcome_payments_due: int
    received: int
    distributed: int
    contract_cap: int
    cap_remaining: int | None
    next_repayments: list[dict[str, Any]]


def money_overview(*, programme: Programme, today: date) -> Overview:
    """Return the fund manager's dashboard figures at the programme's current chain head."""
    actual = schedule_document(programme=programme)
    tranches = commitment_aggregates(programme_id=programme.pk)
    lending = [t for t in tranches if t["kind"] != "guarantee"]
    contract_cap = next(
        (h for h in actual["outcome_payments"]["headroom"] if h["cap"] == "contract_cap"), None
    )
    forecast = schedule_document(programme=programme, percent=Decimal(100))
    upcoming = [d for d in forecast["schedule"]["distributions"] if d["on"] > today.isoformat()]
    return Overview(
        chain_head=actual["chain_head"],
        currency=actual["currency"],
        tranches=tranches,
        committed=sum(int(t["committed"]) for t in lending),  # type: ignore[call-overload]
        drawn=sum(int(t["drawn"]) for t in lending),  # type: ignore[call-overload]
        outcome_payments_due=actual["outcome_payments"]["total"],
        received=actual["schedule"]["totals"]["received"],
        distributed=actual["schedule"]["totals"]["distributed"],
        contract_cap=programme.contract_cap,
        cap_remaining=contract_cap["remaining"] if contract_cap else None,
        next_repayments=upcoming[:8],
    )


def scenario_documents(
    *, programme: Programme, extra: Decimal | None = None
) -> list[tuple[Decimal, dict[str, Any]]]:
    """Return the projection documents of the default scenarios (and `extra`), in order."""
    percents = sorted({*DEFAULT_PROJECTIONS, *([extra] if extra is not None else [])})
    documents = schedule_documents(programme=programme, percents=percents)
    return list(zip(percents, documents, strict=True))
