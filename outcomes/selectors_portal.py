"""Reads the outcome pages of the portal need beyond outcomes.selectors."""

from dataclasses import dataclass

from django.db.models import QuerySet

from outcomes.cells import CellResult, effect_on
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


@dataclass(frozen=True)
class CellNeighbour:
    """Another result of a cell, and what the result at hand does to it (outcomes.cells)."""

    result: Result
    effect: str  # outcomes.cells.Effect


def _cell_result(result: Result) -> CellResult:
    cell = (result.metric_id, result.cohort_id, result.period_id)
    return CellResult(result.pk or 0, cell, result.stage, result.from_participants)


def cell_neighbours(*, result: Result, verified_only: bool = False) -> list[CellNeighbour]:
    """Return the other live results of the result's cell (verified only: those counted
    now), each with what `result` does to it once verified. `result` may be unsaved: a
    submission not yet made."""
    others = (
        result_list(programme=result.programme)
        .filter(metric_id=result.metric_id, cohort_id=result.cohort_id, period_id=result.period_id)
        .filter(state__in=[ResultState.VERIFIED] if verified_only else _LIVE)  # type: ignore[misc]
        .exclude(pk=result.pk)
        .select_related("submitted_by")
    )
    new = _cell_result(result)
    return [CellNeighbour(other, effect_on(new, _cell_result(other))) for other in others]


_LIVE = [ResultState.SUBMITTED, ResultState.VERIFIED]


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
