"""Reads the outcome pages of the portal need beyond outcomes.selectors."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from outcomes.cells import CellResult, Effect, effect_on, replaced_interims
from outcomes.models import Evidence, Result, ResultReview, ResultState, Stage
from outcomes.selectors import open_disputes, result_list, results_with_state
from sib.models import Organisation
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
    return [
        # An amendment takes the place of the result it amends, whatever the stages.
        CellNeighbour(
            other,
            Effect.SUPERSEDES
            if other.pk == result.amends_id
            else effect_on(new, _cell_result(other)),
        )
        for other in others
    ]


def replacing_finals(results: Iterable[Result]) -> dict[int, int]:
    """Return {interim id: id of the final that replaces it} for the verified interims among
    `results` (a page of a list), by `replaced_interims` over each cell's counted results.

    A replaced interim is still verified (its decision stands) but counts for nothing: the
    pages say so beside its state. One query for the cells of the page.
    """
    interims = [
        r
        for r in results
        if r.stage == Stage.INTERIM and getattr(r, "state", None) == ResultState.VERIFIED
    ]
    if not interims:
        return {}
    cells = Q()
    for cell in {(r.metric_id, r.cohort_id, r.period_id) for r in interims}:
        cells |= Q(metric_id=cell[0], cohort_id=cell[1], period_id=cell[2])
    counted = (
        results_with_state(Result.objects.filter(cells))
        .filter(state=ResultState.VERIFIED)  # type: ignore[misc]
        .order_by("id")
        .values_list("pk", "metric_id", "cohort_id", "period_id", "stage", "from_participants")
    )
    rows = [CellResult(pk, (m, c, p), stage, backed) for pk, m, c, p, stage, backed in counted]
    finals = [r for r in rows if r.stage == Stage.FINAL]
    wanted = {r.pk for r in interims}
    replaced: dict[int, int] = {}
    for interim in rows:
        if interim.pk not in wanted:
            continue
        for final in finals:
            if final.cell == interim.cell and interim.pk in replaced_interims([interim, final]):
                replaced[interim.pk] = final.pk
                break
    return replaced


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
    disputes = open_disputes(programme=access.programme)
    held = {d.held_payer_id for d in disputes if d.held_payer_id}  # type: ignore[attr-defined]
    payers = Organisation.objects.in_bulk(held)
    for dispute in disputes:
        dispute.held_payer = payers.get(dispute.held_payer_id)  # type: ignore[attr-defined]
    return disputes
