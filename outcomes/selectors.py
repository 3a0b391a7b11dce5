"""Read outcome definitions and results; a result's state is derived from its events."""

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from outcomes.models import (
    Cohort,
    Decision,
    ImportJob,
    ImportJobStatus,
    MeasurementPeriod,
    Metric,
    ParticipantRecord,
    Result,
    ResultDecision,
    ResultReview,
    ResultState,
    ReviewVerdict,
)
from sib.exceptions import NotFound
from sib.models import Membership, Programme, Role


def _superseded() -> Exists:
    return Exists(
        ResultDecision.objects.filter(result__amends=OuterRef("pk"), decision=Decision.VERIFIED)
    )


def results_with_state(queryset: QuerySet[Result]) -> QuerySet[Result]:
    """Annotate `state` (submitted/verified/rejected/superseded) and `disputed`: an open
    dispute, one that holds money (not withdrawn, on a result still verified; a verified
    amendment resolves it)."""
    return queryset.annotate(
        superseded=_superseded(),
        state=Case(
            When(decision__decision=Decision.REJECTED, then=Value(ResultState.REJECTED)),
            When(
                decision__decision=Decision.VERIFIED,
                superseded=True,
                then=Value(ResultState.SUPERSEDED),
            ),
            When(decision__decision=Decision.VERIFIED, then=Value(ResultState.VERIFIED)),
            default=Value(ResultState.SUBMITTED),
        ),
        has_dispute=Exists(
            ResultReview.objects.filter(
                result=OuterRef("pk"), verdict=ReviewVerdict.DISPUTED, withdrawal__isnull=True
            )
        ),
    ).annotate(
        disputed=ExpressionWrapper(
            Q(state=ResultState.VERIFIED, has_dispute=True), output_field=BooleanField()
        )
    )


def open_disputes(*, programme: Programme) -> list[ResultReview]:
    """Return the open disputes of the programme: on verified results, not withdrawn.

    Each carries `held_payer_id`: the payer whose share it holds, recorded on the review
    when it was made; None for a funder bound to no payer, whose dispute holds every
    payer's share. A review made before outcomes migration 0011 recorded no payer: its
    funder's current membership answers (the one place that rule is kept in Python).
    """
    verified = results_with_state(Result.objects.filter(programme=programme)).filter(
        state=ResultState.VERIFIED  # type: ignore[misc]
    )
    payer = Membership.objects.filter(
        user=OuterRef("reviewer"), programme=programme, role=Role.PUBLIC_FUNDER
    ).values("organisation")[:1]
    return list(
        ResultReview.objects.filter(
            result__in=verified.values("pk"),
            verdict=ReviewVerdict.DISPUTED,
            withdrawal__isnull=True,
        )
        .annotate(
            held_payer_id=Case(
                When(payer_recorded=True, then=F("payer_id")),
                default=Subquery(payer),
                output_field=BigIntegerField(),
            )
        )
        .select_related("reviewer", "result", "result__metric", "result__cohort", "result__period")
        .order_by("reviewed_at", "id")
    )


def funder_payer_id(*, user_id: int, programme_id: int) -> int | None:
    """Return the payer a public funder of the programme is bound to, or None."""
    return (
        Membership.objects.filter(
            user_id=user_id, programme_id=programme_id, role=Role.PUBLIC_FUNDER
        )
        .values_list("organisation_id", flat=True)
        .first()
    )


def dispute_payer_id(*, review: ResultReview) -> int | None:
    """Return the payer whose share the dispute holds (None: every payer); see open_disputes."""
    if review.payer_recorded:
        return review.payer_id
    return funder_payer_id(user_id=review.reviewer_id, programme_id=review.result.programme_id)


def result_state(*, result: Result) -> str:
    """Return submitted, verified, rejected or superseded."""
    row = results_with_state(Result.objects.filter(pk=result.pk)).get()
    return str(row.state)  # type: ignore[attr-defined]


def result_list(
    *, programme: Programme, verified_only: bool = False, state: str | None = None
) -> QuerySet[Result]:
    """Return a programme's results; public funders get verified ones only."""
    results = results_with_state(
        Result.objects.filter(programme=programme).select_related(
            "metric", "cohort", "period", "decision"
        )
    ).order_by("id")
    if verified_only:
        results = results.filter(state=ResultState.VERIFIED)  # type: ignore[misc]
    if state:
        results = results.filter(state=state)  # type: ignore[misc]
    return results


def result_get(*, programme: Programme, result_id: int) -> Result:
    """Return one of the programme's results (Result.DoesNotExist for another's)."""
    return (
        results_with_state(Result.objects.filter(programme=programme))
        .select_related("programme", "metric", "cohort", "period")
        .get(pk=result_id)
    )


def metric_list(*, programme: Programme) -> QuerySet[Metric]:
    return Metric.objects.filter(programme=programme).prefetch_related("cohorts", "periods")


def cohort_list(*, programme: Programme) -> QuerySet[Cohort]:
    return Cohort.objects.filter(programme=programme)


def period_list(*, programme: Programme) -> QuerySet[MeasurementPeriod]:
    return MeasurementPeriod.objects.filter(programme=programme)


def participant_record_list(*, programme: Programme) -> QuerySet[ParticipantRecord]:
    return (
        ParticipantRecord.objects.filter(result__programme=programme)
        .select_related("metric", "cohort", "period")
        .order_by("id")
    )


def import_job_get(*, programme: Programme, job_id: int) -> ImportJob:
    """Return the programme's queued import `job_id` (404 for another programme's, and for
    a file checked on the portal and not confirmed: it is nobody's import yet)."""
    job = (
        ImportJob.objects.filter(programme=programme, pk=job_id)
        .exclude(status=ImportJobStatus.CHECKED)
        .first()
    )
    if job is None:
        raise NotFound(_("No such import job in this programme."), code="import_job_not_found")
    return job
