"""Reads the outcome pages of the portal need beyond outcomes.selectors."""

from django.db.models import QuerySet

from outcomes.models import Evidence, Result, ResultReview, ResultState
from outcomes.selectors import open_disputes, result_list
from sib.permissions import Action
from sib.scoping import ProgrammeAccess


def result_list_for(
    *, access: ProgrammeAccess, state: str | None = None, mine: bool = False
) -> QuerySet[Result]:
    """Return the results this user may see (funders: verified only), newest first."""
    results = result_list(
        programme=access.programme,
        verified_only=not access.allows(Action.RESULT_VIEW),
        state=state,
    ).select_related("submitted_by")
    if mine:
        results = results.filter(submitted_by=access.user)
    return results.order_by("-submitted_at", "-id")


def verification_queue(*, access: ProgrammeAccess) -> QuerySet[Result]:
    """Return the submitted results waiting for a lead evaluator other than their author."""
    return (
        result_list(programme=access.programme, state=ResultState.SUBMITTED)
        .exclude(submitted_by=access.user)
        .select_related("submitted_by")
        .order_by("submitted_at", "id")
    )


def cell_verified(*, result: Result) -> QuerySet[Result]:
    """Return the other verified results of the result's metric × cohort × period: what a
    lead checks it does not count twice before verifying it."""
    return (
        result_list(programme=result.programme, state=ResultState.VERIFIED)
        .filter(metric_id=result.metric_id, cohort_id=result.cohort_id, period_id=result.period_id)
        .exclude(pk=result.pk)
        .select_related("submitted_by")
    )


def evidence_list(*, result: Result) -> QuerySet[Evidence]:
    return Evidence.objects.filter(result=result).select_related("uploaded_by").order_by("id")


def review_list(*, result: Result) -> QuerySet[ResultReview]:
    return (
        ResultReview.objects.filter(result=result)
        .select_related("reviewer", "withdrawal", "withdrawal__withdrawn_by")
        .order_by("id")
    )


def awaiting_decision(*, access: ProgrammeAccess) -> QuerySet[Result]:
    """Return the verified results this funder has neither accepted nor disputed, oldest
    first: its queue."""
    return (
        result_list(programme=access.programme, state=ResultState.VERIFIED)
        .exclude(reviews__reviewer=access.user)
        .select_related("submitted_by")
        .order_by("decision__decided_at", "id")
    )


def open_dispute_list(*, access: ProgrammeAccess) -> list[ResultReview]:
    """Return the programme's open disputes (verified results, not withdrawn), each with
    `held_payer`: the organisation whose share it holds, None for every payer."""
    from sib.models import Organisation

    disputes = open_disputes(programme=access.programme)
    held = {d.held_payer_id for d in disputes if d.held_payer_id}  # type: ignore[attr-defined]
    payers = Organisation.objects.in_bulk(held)
    for dispute in disputes:
        dispute.held_payer = payers.get(dispute.held_payer_id)  # type: ignore[attr-defined]
    return disputes
