"""Reads for the money side of a programme, already scoped to what the reader may see."""

from dataclasses import replace
from datetime import date
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from payments.models import (
    Account,
    Commitment,
    Drawdown,
    LedgerTransaction,
    Leg,
    ProgrammeVariation,
    Tranche,
    TrancheKind,
    VariationKind,
)
from payments.position import ProgrammePosition, programme_position
from payments.returns import InvestorReturn, investor_returns
from sib.models import Organisation
from sib.permissions import Action
from sib.privacy import Audience, investor_totals_shown, reader_audience
from sib.scoping import ProgrammeAccess


def grant_periods(*, programme_id: int) -> dict[str, date]:
    """Return period code -> the effective date of the variation switching it to a grant."""
    rows = ProgrammeVariation.objects.filter(
        programme_id=programme_id, kind=VariationKind.GRANT_PAYMENTS
    ).values_list("effective_date", "parameters__periods")
    return {period: on for on, periods in rows for period in periods}


def tranche_list(*, programme_id: int) -> QuerySet[Tranche]:
    return Tranche.objects.filter(programme_id=programme_id).select_related("protects")


def tranche_names(*, programme_id: int) -> dict[str, str]:
    """Return tranche key -> name: documents speak in keys, pages show names."""
    return dict(Tranche.objects.filter(programme_id=programme_id).values_list("key", "name"))


def _not_reversed_drawn() -> Sum:
    return Sum(
        "drawdowns__amount", filter=Q(drawdowns__transaction__reversal__isnull=True), default=0
    )


def commitment_list(*, access: ProgrammeAccess) -> QuerySet[Commitment]:
    """Every commitment for a fund manager; only their organisation's for an investor."""
    commitments = (
        Commitment.objects.filter(programme=access.programme)
        .select_related("tranche", "investor")
        .annotate(drawn=_not_reversed_drawn())
        .order_by("tranche__priority", "investor__name")
    )
    if access.allows(Action.COMMITMENT_VIEW_ALL):
        return commitments
    return commitments.filter(investor_id__in=access.investor_organisation_ids)


def commitment_aggregates(*, programme_id: int, audience: Audience) -> list[dict[str, object]]:
    """Per tranche: investor count, committed and drawn totals, and no names.

    What `audience` may read of them is sib.privacy's rule (`investor_totals_shown`): the
    lender tranches' money is shown whole or not at all, and so is the guarantee
    tranches'; a row held back has `disclosed` false and no figures (None).

    One query whatever the number of tranches (the drawn total is a subquery, so the
    commitments' join does not multiply it).
    """
    drawn = (
        Drawdown.objects.filter(
            commitment__tranche=OuterRef("pk"), transaction__reversal__isnull=True
        )
        .values("commitment__tranche")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    tranches = list(
        Tranche.objects.filter(programme_id=programme_id)
        .annotate(
            investors=Count("commitments__investor", distinct=True),
            committed=Coalesce(Sum("commitments__amount"), 0),
            drawn=Coalesce(Subquery(drawn), 0),
        )
        .order_by("priority")
    )
    # Lenders and guarantors are two breakdowns: no shown total adds one to the other.
    shown = {
        guarantee: investor_totals_shown(
            audience,
            *(t.investors for t in tranches if (t.kind == TrancheKind.GUARANTEE) == guarantee),
        )
        for guarantee in (False, True)
    }
    rows: list[dict[str, object]] = []
    for tranche in tranches:
        disclosed = shown[tranche.kind == TrancheKind.GUARANTEE]
        rows.append(
            {
                "tranche": tranche.key,
                "name": tranche.name,
                "kind": tranche.kind,
                "priority": tranche.priority,
                "investors": tranche.investors,
                "disclosed": disclosed,
                "committed": tranche.committed if disclosed else None,
                "drawn": tranche.drawn if disclosed else None,
            }
        )
    return rows


def drawdown_list(*, access: ProgrammeAccess) -> QuerySet[Drawdown]:
    drawdowns = (
        Drawdown.objects.filter(programme=access.programme)
        .select_related("commitment__tranche", "commitment__investor", "transaction__reversal")
        .order_by("called_on", "id")
    )
    if access.allows(Action.COMMITMENT_VIEW_ALL):
        return drawdowns
    return drawdowns.filter(commitment__investor_id__in=access.investor_organisation_ids)


def account_list(*, programme_id: int) -> QuerySet[Account]:
    return (
        Account.objects.filter(programme_id=programme_id)
        .annotate(
            total_debit=Sum("legs__debit", default=0), total_credit=Sum("legs__credit", default=0)
        )
        .order_by("code")
    )


def transaction_list(
    *,
    programme_id: int,
    date_from: date | None = None,
    date_to: date | None = None,
    account_code: str | None = None,
) -> QuerySet[LedgerTransaction]:
    transactions = LedgerTransaction.objects.filter(programme_id=programme_id)
    if date_from:
        transactions = transactions.filter(occurred_on__gte=date_from)
    if date_to:
        transactions = transactions.filter(occurred_on__lte=date_to)
    if account_code:
        transactions = transactions.filter(legs__account__code=account_code).distinct()
    # The legs come from transaction_legs, for one page at a time.
    return transactions.select_related("reversal", "actor").order_by("occurred_on", "id")


def transaction_legs(*, transaction_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Return the legs of these transactions as API rows, by transaction, in id order.

    One query of plain rows: a prefetch builds a leg and an account object per leg and a
    queryset per transaction, most of a ledger page's cost (issue 16).
    """
    legs: dict[int, list[dict[str, Any]]] = {pk: [] for pk in transaction_ids}
    rows = (
        Leg.objects.filter(transaction_id__in=transaction_ids)
        .order_by("id")
        .values_list("transaction_id", "id", "account__code", "debit", "credit", "currency")
    )
    for transaction_id, pk, account, debit, credit, currency in rows:
        legs[transaction_id].append(
            {"id": pk, "account": account, "debit": debit, "credit": credit, "currency": currency}
        )
    return legs


def _own_investors(access: ProgrammeAccess) -> set[str]:
    if not access.allows(Action.COMMITMENT_VIEW_OWN):
        return set()
    return set(
        Organisation.objects.filter(pk__in=access.investor_organisation_ids).values_list(
            "slug", flat=True
        )
    )


def position_get(*, access: ProgrammeAccess) -> ProgrammePosition:
    """Return the programme's position with the investors the user may see.

    Fund managers see every commitment; an investor its own organisation's; anyone else
    (a public funder, an evaluator) none: they read investors in aggregate elsewhere.
    """
    position = programme_position(programme=access.programme)
    if access.allows(Action.COMMITMENT_VIEW_ALL):
        return position
    own = _own_investors(access)
    return replace(position, investors=tuple(i for i in position.investors if i.investor in own))


def investor_returns_get(*, access: ProgrammeAccess) -> tuple[InvestorReturn, ...]:
    """Return each commitment's returns to date (payments.returns) the user may see:
    every one for fund managers, its own for an investor, none for anyone else."""
    if access.allows(Action.COMMITMENT_VIEW_ALL):
        return investor_returns(programme=access.programme)
    own = _own_investors(access)
    if not own:
        return ()
    return tuple(r for r in investor_returns(programme=access.programme) if r.investor in own)


# Position totals by whose money they add up (sib.privacy). The payers' are every payer's
# to read; a total missing here is held back from non-managers until it is listed.
_PAYER_TOTALS = (
    "due",
    "redemption",
    "disputed",
    "received",
    "advance",
    "refunded",
    "outstanding",
    "still_to_pay",
    "payable",
)
_LENDER_TOTALS = ("committed", "drawn", "principal_repaid", "return_paid", "principal_outstanding")
_GUARANTOR_TOTALS = ("guarantee_called", "guarantee_paid")


def position_totals(
    *, access: ProgrammeAccess, position: ProgrammePosition
) -> dict[str, int | None]:
    """Return the position's totals, with None for those the user may not read.

    A public funder reads the payers' totals, and the investors' only as sib.privacy's
    `investor_totals_shown` allows: the lenders' when they are at least MIN_INVESTORS
    (or none), the guarantors' likewise, and what was distributed only when both are
    shown (less the lenders' repayments, the rest is the guarantors' and the fees).
    """
    audience = reader_audience(access)
    # Counted from the commitments, not from `position`: position_get has already
    # dropped the investors this user may not see.
    commitments = Commitment.objects.filter(programme=access.programme)
    guarantee = Q(tranche__kind=TrancheKind.GUARANTEE)
    lenders = commitments.exclude(guarantee).values("investor").distinct().count()
    guarantors = commitments.filter(guarantee).values("investor").distinct().count()
    shown = dict.fromkeys(_PAYER_TOTALS, True)
    shown |= dict.fromkeys(_LENDER_TOTALS, investor_totals_shown(audience, lenders))
    shown |= dict.fromkeys(_GUARANTOR_TOTALS, investor_totals_shown(audience, guarantors))
    shown["distributed"] = investor_totals_shown(audience, lenders, guarantors)
    unlisted = audience == Audience.FUND_MANAGER
    return {
        key: value if shown.get(key, unlisted) else None for key, value in position.totals.items()
    }
