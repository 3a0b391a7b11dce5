"""How the results of one cell (metric × cohort × period) relate: THE rule, kept here only.

A *cell* is one metric for one cohort in one period. It may receive several results over
time; without a rule they would add up (an interim 12 and a final 25 paid as 37).

What counts for payment (`replaced_interims`, read by payments.outcome_payments)
    Of a cell's verified results (a verified amendment supersedes what it corrects, as
    before), a *final* result replaces the *interim* ones: they stop counting, as if
    superseded, and the accrual books the difference as a restatement. The replacement
    holds from the final's verification on: the books as of an earlier chain state still
    count the interims. Replaced is replaced whatever the order: an interim verified after
    the cell's final does not count either.

    Participant-backed rate-card results list people, not a count: the database keeps one
    record per participant × metric × period, so two participant files of one cell never
    hold the same person and always add up, whatever their stage (a final file lists the
    participants not recorded yet). A final *aggregate* result replaces every interim of
    its cell, participant-backed ones included; a final participant-backed result replaces
    the cell's interim *aggregate* results (a count it now lists person by person).

    A result declared *additional* counts beside the others of its stage (two interims,
    two finals); an additional interim is still replaced by the cell's final.

What may be submitted (`cell_refusal`, checked by the services, the results CSV import
and the history load)
    While a cell holds a *live* result (submitted, or verified and not superseded; not
    rejected), another result for it is refused unless it is
    - an amendment (`amends`: outcomes.services.result_amend), or
    - a final result after interim ones only (it will replace them), or
    - participant-backed beside participant-backed results only (other people), or
    - declared additional with a reason (the database refuses one without a reason);
    an interim beside a final aggregate result is refused even so: the final would
    replace it, so it could never count. The refusal names the live result.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from outcomes.models import Result, ResultState, Stage
from outcomes.selectors import results_with_state
from sib.exceptions import Conflict

Cell = tuple[int, int, int]  # metric id, cohort id, period id

# A stage as it reads inside a message ("result #4 (interim)"), translated.
STAGE_TEXTS: dict[str, Promise] = {
    Stage.INTERIM: pgettext_lazy("result stage in a sentence", "interim"),
    Stage.FINAL: pgettext_lazy("result stage in a sentence", "final"),
}


@dataclass(frozen=True)
class CellResult:
    """What the rule reads of one result."""

    pk: int
    cell: Cell
    stage: str
    from_participants: bool


def replaced_interims(results: Iterable[CellResult]) -> set[int]:
    """Return the ids of the interim results a final of their cell replaces.

    `results` are the verified, non-superseded results of the state being priced.
    """
    rows = list(results)
    aggregate_final = {r.cell for r in rows if r.stage == Stage.FINAL and not r.from_participants}
    backed_final = {r.cell for r in rows if r.stage == Stage.FINAL and r.from_participants}
    return {
        r.pk
        for r in rows
        if r.stage == Stage.INTERIM
        and (r.cell in aggregate_final or (r.cell in backed_final and not r.from_participants))
    }


class Effect:
    """What a new result of a cell does to another result of the same cell, once verified."""

    REPLACES = "replaces"  # the other stops counting: this final replaces that interim
    REPLACED = "replaced"  # this one will not count: the other (a final) replaces it
    ADDS = "adds"  # both count
    SUPERSEDES = "supersedes"  # the other stops counting: this one is its amendment


def effect_on(new: CellResult, other: CellResult) -> str:
    """Return what verifying `new` does beside `other` (an Effect), by `replaced_interims`."""
    replaced = replaced_interims([new, other])
    if other.pk in replaced:
        return Effect.REPLACES
    if new.pk in replaced:
        return Effect.REPLACED
    return Effect.ADDS


def refusal_for(
    live: list[CellResult], *, stage: str, from_participants: bool, additional: bool
) -> CellResult | None:
    """Return the live result a new one for the cell collides with, or None when allowed."""
    if not live:
        return None
    if from_participants and all(r.from_participants for r in live):
        return None
    aggregate_final = [r for r in live if r.stage == Stage.FINAL and not r.from_participants]
    if stage == Stage.INTERIM and aggregate_final:
        return aggregate_final[0]
    if additional:
        return None
    if stage == Stage.FINAL and all(r.stage == Stage.INTERIM for r in live):
        return None
    return live[0]


def cell_live_results(*, metric_id: int, cohort_id: int, period_id: int) -> list[CellResult]:
    """Return the cell's live results (submitted, or verified and not superseded), by id."""
    rows = (
        results_with_state(
            Result.objects.filter(metric_id=metric_id, cohort_id=cohort_id, period_id=period_id)
        )
        .filter(Q(state=ResultState.SUBMITTED) | Q(state=ResultState.VERIFIED))
        .order_by("id")
        .values_list("pk", "stage", "from_participants")
    )
    cell = (metric_id, cohort_id, period_id)
    return [CellResult(pk, cell, stage, backed) for pk, stage, backed in rows]


def cell_taken(*, live: CellResult, metric: str, cohort: str, period: str) -> Conflict:
    return Conflict(
        _(
            "Result #%(result)s (%(stage)s) already exists for metric %(metric)s, cohort "
            "%(cohort)s, period %(period)s. One result per cell: amend the verified one, "
            "submit a final result after interim ones, or declare this one additional "
            "with a reason."
        ),
        code="cell_taken",
        field="additional",
        params={
            "result": live.pk,
            "stage": STAGE_TEXTS.get(live.stage, live.stage),
            "metric": metric,
            "cohort": cohort,
            "period": period,
        },
    )


def interim_after_final(*, live: CellResult, metric: str, cohort: str, period: str) -> Conflict:
    return Conflict(
        _(
            "Result #%(result)s is the final result of metric %(metric)s, cohort %(cohort)s, "
            "period %(period)s: an interim result would never count beside it. Amend the "
            "final result instead."
        ),
        code="interim_after_final",
        field="stage",
        params={"result": live.pk, "metric": metric, "cohort": cohort, "period": period},
    )


def require_cell_free(
    *,
    metric_id: int,
    cohort_id: int,
    period_id: int,
    codes: tuple[str, str, str],
    stage: str,
    from_participants: bool = False,
    additional: bool = False,
) -> None:
    """Refuse a new (non-amendment) result that the cell's live results do not allow."""
    live = cell_live_results(metric_id=metric_id, cohort_id=cohort_id, period_id=period_id)
    hit = refusal_for(live, stage=stage, from_participants=from_participants, additional=additional)
    if hit is None:
        return
    metric, cohort, period = codes
    if stage == Stage.INTERIM and hit.stage == Stage.FINAL and not hit.from_participants:
        raise interim_after_final(live=hit, metric=metric, cohort=cohort, period=period)
    raise cell_taken(live=hit, metric=metric, cohort=cohort, period=period)
