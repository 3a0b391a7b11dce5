"""Write outcome definitions, results and their verification (HackSoft-style services).

The database refuses what matters most on its own (see migrations/0002): these services
check the same rules first so that a user gets a clear message, and translate the
database's refusal when a race slips past the check.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from outcomes import chain_kinds, refusals
from outcomes.cells import require_cell_free
from outcomes.csv_import import IMPORT_LOCK_NAMESPACE
from outcomes.metrics_validation import metric_mechanism_errors
from outcomes.models import (
    Cohort,
    Decision,
    Evidence,
    MeasurementPeriod,
    Metric,
    ParticipantRecord,
    Result,
    ResultDecision,
    ResultReview,
    ResultState,
    ReviewVerdict,
    Stage,
)
from outcomes.plausibility import require_plausible
from outcomes.selectors import funder_payer_id, result_state
from outcomes.signals import outcome_facts_changed
from sib.chain import chain_append
from sib.models import Membership, Programme, Role, User
from sib.services import programme_status_text
from sib.user_text import user_text

# A result's state as it reads inside a message ("this one is rejected"), translated.
RESULT_STATE_TEXTS: dict[str, Promise] = {
    ResultState.SUBMITTED: pgettext_lazy("result state in a sentence", "submitted"),
    ResultState.VERIFIED: pgettext_lazy("result state in a sentence", "verified"),
    ResultState.REJECTED: pgettext_lazy("result state in a sentence", "rejected"),
    ResultState.SUPERSEDED: pgettext_lazy("result state in a sentence", "superseded"),
}


def state_text(state: str) -> str:
    return str(RESULT_STATE_TEXTS.get(state, state))


def _require_open(programme: Programme) -> None:
    if not programme.accepts_new_entries:
        raise ValidationError(
            _("The programme is %(status)s: it accepts no new results.")
            % {"status": programme_status_text(programme.status)}
        )


# --- Definitions ---------------------------------------------------------------------------


def cohort_create(*, programme: Programme, code: str, name: str, **fields: Any) -> Cohort:
    if Cohort.objects.filter(programme=programme, code=code).exists():
        raise ValidationError(
            {"code": _("Cohort '%(code)s' exists in this programme.") % {"code": code}}
        )
    cohort = Cohort(programme=programme, code=code, name=name, **fields)
    cohort.full_clean()
    cohort.save()
    return cohort


def period_create(
    *, programme: Programme, code: str, name: str, start_date: Any, end_date: Any
) -> MeasurementPeriod:
    if MeasurementPeriod.objects.filter(programme=programme, code=code).exists():
        raise ValidationError(
            {"code": _("Period '%(code)s' exists in this programme.") % {"code": code}}
        )
    if end_date < start_date:
        raise ValidationError({"end_date": _("Must not be before start_date.")})
    period = MeasurementPeriod(
        programme=programme, code=code, name=name, start_date=start_date, end_date=end_date
    )
    period.full_clean()
    period.save()
    return period


@transaction.atomic
def metric_create(
    *,
    programme: Programme,
    code: str,
    cohorts: list[str],
    periods: list[str],
    mechanism: Any,
    **fields: Any,
) -> Metric:
    """Create a metric measured for the named cohorts and periods, its mechanism validated."""
    errors: dict[str, list[str]] = {}
    if Metric.objects.filter(programme=programme, code=code).exists():
        errors.setdefault("code", []).append(
            _("Metric '%(code)s' exists in this programme.") % {"code": code}
        )
    cohort_rows = {c.code: c for c in Cohort.objects.filter(programme=programme, code__in=cohorts)}
    period_rows = {
        p.code: p for p in MeasurementPeriod.objects.filter(programme=programme, code__in=periods)
    }
    for index, cohort in enumerate(cohorts):
        if cohort not in cohort_rows:
            errors.setdefault(f"cohorts[{index}]", []).append(
                _("Unknown cohort '%(code)s'.") % {"code": cohort}
            )
    for index, period in enumerate(periods):
        if period not in period_rows:
            errors.setdefault(f"periods[{index}]", []).append(
                _("Unknown period '%(code)s'.") % {"code": period}
            )
    for path, message in metric_mechanism_errors(
        code=code,
        mechanism=mechanism,
        max_count=fields.get("max_count"),
        max_amount=fields.get("max_amount"),
        direction=fields.get("direction"),
        cohort_codes=cohorts,
    ):
        errors.setdefault(path or "mechanism", []).append(message)
    if errors:
        raise ValidationError(errors)
    metric = Metric(programme=programme, code=code, mechanism=mechanism, **fields)
    metric.full_clean()
    metric.save()
    metric.cohorts.set(cohort_rows.values())
    metric.periods.set(period_rows.values())
    return metric


# --- Results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultValues:
    value: Decimal
    comparison_value: Decimal | None = None
    sample_size: int | None = None
    comparison_sample_size: int | None = None
    note: str = ""
    # The submitter declares a count above the cohort's planned size (outcomes.plausibility).
    over_planned_size: bool = False
    # Declared beside the cell's other results, with a reason, so both count (outcomes.cells).
    additional: bool = False
    additional_reason: str = ""


def _clean_values(values: ResultValues) -> ResultValues:
    """Return `values` with its free text checked and normalised (sib.user_text)."""
    return replace(
        values,
        note=user_text(values.note, field="note"),
        additional_reason=user_text(values.additional_reason, field="additional_reason"),
    )


def _require_plausible(metric: Metric, cohort: Cohort, values: ResultValues) -> None:
    require_plausible(
        metric=metric,
        cohort=cohort,
        value=values.value,
        sample_size=values.sample_size,
        note=values.note,
        over_planned_size=values.over_planned_size,
        comparison_value=values.comparison_value,
    )


def _cell_check(
    programme: Programme, metric: Metric, cohort: Cohort, period: MeasurementPeriod
) -> None:
    errors = {}
    if metric.programme_id != programme.pk:
        errors["metric"] = _("Unknown metric.")
    if cohort.programme_id != programme.pk or not metric.cohorts.filter(pk=cohort.pk).exists():
        errors["cohort"] = _("Metric '%(metric)s' is not measured for cohort '%(cohort)s'.") % {
            "metric": metric.code,
            "cohort": cohort.code,
        }
    if period.programme_id != programme.pk or not metric.periods.filter(pk=period.pk).exists():
        errors["period"] = _("Metric '%(metric)s' is not measured in period '%(period)s'.") % {
            "metric": metric.code,
            "period": period.code,
        }
    if errors:
        raise ValidationError(errors)


def _values_check(metric: Metric, values: ResultValues) -> None:
    # The engine cannot price a comparison without its comparison group: refused here,
    # at submission, rather than when the verification books what it makes payers owe.
    if metric.mechanism_kind == "comparison" and values.comparison_value is None:
        raise ValidationError(
            {"comparison_value": _("A comparison metric needs the comparison group's value.")}
        )


@transaction.atomic
def result_submit(
    *,
    programme: Programme,
    user: User,
    metric: Metric,
    cohort: Cohort,
    period: MeasurementPeriod,
    stage: str,
    values: ResultValues,
    at: datetime | None = None,
) -> Result:
    """Record an aggregate result as submitted; it counts for nothing until verified.

    A cell already holding a live result takes another only as outcomes.cells allows (a
    final after interims, or `values.additional` with a reason); else Conflict.
    `at` is for history brought in from elsewhere (its original time); else now.
    """
    _require_open(programme)
    values = _clean_values(values)
    _cell_check(programme, metric, cohort, period)
    _values_check(metric, values)
    _require_plausible(metric, cohort, values)
    if stage not in Stage.values:
        raise ValidationError(
            {"stage": _("Must be one of %(choices)s.") % {"choices": ", ".join(Stage.values)}}
        )
    if values.additional and not values.additional_reason.strip():
        raise ValidationError(
            {"additional_reason": _("A result declared additional needs a reason.")}
        )
    with connection.cursor() as cursor:
        # The import's lock: two submissions (or a file) for one cell cannot both find it
        # free and both be written.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK_NAMESPACE, programme.pk]
        )
    require_cell_free(
        metric_id=metric.pk,
        cohort_id=cohort.pk,
        period_id=period.pk,
        codes=(metric.code, cohort.code, period.code),
        stage=stage,
        additional=values.additional,
    )
    return Result.objects.create(
        programme=programme,
        metric=metric,
        cohort=cohort,
        period=period,
        stage=stage,
        value=values.value,
        comparison_value=values.comparison_value,
        sample_size=values.sample_size,
        comparison_sample_size=values.comparison_sample_size,
        note=values.note,
        additional=values.additional,
        additional_reason=values.additional_reason.strip() if values.additional else "",
        submitted_by=user,
        submitted_at=at or timezone.now(),
    )


def _require_no_pending_amendment(result: Result) -> None:
    pending = (
        Result.objects.filter(amends=result, decision__isnull=True)
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if pending is not None:
        raise refusals.amendment_pending(result_id=result.pk, pending_id=pending)


@transaction.atomic
def result_amend(
    *, result: Result, user: User, reason: str, stage: str | None, values: ResultValues
) -> Result:
    """Submit a correction of a verified result; it supersedes it once verified itself."""
    programme = result.programme
    _require_open(programme)
    reason = user_text(reason, field="reason")
    values = _clean_values(values)
    if not reason.strip():
        raise ValidationError({"reason": _("An amendment needs a reason.")})
    state = result_state(result=result)
    if state != "verified":
        raise refusals.amend_needs_verified(state_text(state))
    _values_check(result.metric, values)
    _require_plausible(result.metric, result.cohort, values)
    _require_no_pending_amendment(result)
    try:
        # A savepoint: losing the race to another amendment (the trigger of migration
        # 0016 serialises them) leaves the caller's transaction usable for the 409.
        with transaction.atomic():
            amendment = Result.objects.create(
                programme=programme,
                metric_id=result.metric_id,
                cohort_id=result.cohort_id,
                period_id=result.period_id,
                stage=stage or result.stage,
                value=values.value,
                comparison_value=values.comparison_value,
                sample_size=values.sample_size,
                comparison_sample_size=values.comparison_sample_size,
                note=values.note,
                amends=result,
                amendment_reason=reason,
                submitted_by=user,
            )
    except IntegrityError as exc:
        _require_no_pending_amendment(result)
        raise refusals.refusal_conflict(exc, unique=refusals.already_decided()) from exc
    chain_append(
        programme=programme,
        kind=chain_kinds.AMENDMENT,
        object_id=amendment.pk,
        canonical=chain_kinds.canonical_of(chain_kinds.AMENDMENT, amendment.pk),
    )
    return amendment


def _decide(
    *, result: Result, user: User, decision: str, comment: str, at: datetime | None = None
) -> ResultDecision:
    comment = user_text(comment, field="comment")
    if result.submitted_by_id == user.pk:
        # The database refuses it too (outcomes_decision_guard); this is the clear message.
        raise refusals.four_eyes()
    if not Membership.objects.filter(
        user=user, programme_id=result.programme_id, role=Role.LEAD_EVALUATOR
    ).exists():
        raise refusals.decided_by_lead_evaluator()
    digest = ""
    if result.from_participants:
        digest = chain_kinds.participant_digests([result.pk]).get(result.pk, "")
    try:
        # A savepoint, so that losing a race (the unique constraint on result) leaves the
        # caller's transaction usable for the 409 it answers.
        with transaction.atomic():
            made = ResultDecision.objects.create(
                result=result,
                decision=decision,
                decided_by=user,
                comment=comment,
                participants_sha256=digest,
                decided_at=at or timezone.now(),
            )
    except IntegrityError as exc:
        if ResultDecision.objects.filter(result=result).exists():
            raise refusals.already_decided() from exc
        raise refusals.refusal_conflict(exc, unique=refusals.already_decided()) from exc
    chain_append(
        programme=result.programme,
        kind=chain_kinds.DECISION,
        object_id=made.pk,
        canonical=chain_kinds.canonical_of(chain_kinds.DECISION, made.pk),
    )
    return made


def _require_evidence(result: Result) -> None:
    what = result.metric.evidence_required.strip()
    if what and not Evidence.objects.filter(result=result).exists():
        raise refusals.evidence_missing(what)


@transaction.atomic
def result_verify(
    *,
    result: Result,
    user: User,
    comment: str = "",
    at: datetime | None = None,
    from_history: bool = False,
) -> ResultDecision:
    """Verify another evaluator's result, chain it and have outcome payments recomputed.

    `from_history`: a verification made before the ledger kept the programme, loaded from
    its history (payments.history_format); its evidence was checked where it was made.
    """
    if not from_history:
        _require_evidence(result)
    made = _decide(result=result, user=user, decision=Decision.VERIFIED, comment=comment, at=at)
    # What the result makes each payer owe is booked now, in this transaction.
    outcome_facts_changed.send(
        sender=Result,
        programme=result.programme,
        on=timezone.localdate(made.decided_at),
        actor=user,
        cause=f"verification of result #{result.pk}",
        result=result,
    )
    return made


@transaction.atomic
def result_reject(*, result: Result, user: User, comment: str) -> ResultDecision:
    """Reject another evaluator's result with a reason; its participant records are dropped.

    The records go so that the corrected file can be loaded (one row per participant,
    metric and period); the rejection keeps their digest in the chain.
    """
    comment = user_text(comment, field="comment")
    if not comment.strip():
        raise ValidationError({"comment": _("A rejection needs a reason.")})
    made = _decide(result=result, user=user, decision=Decision.REJECTED, comment=comment)
    ParticipantRecord.objects.filter(result=result).delete()
    return made


@transaction.atomic
def result_review(*, result: Result, user: User, verdict: str, comment: str) -> ResultReview:
    """Record a public funder's acceptance or dispute of a verified result, chained."""
    if verdict not in ReviewVerdict.values:
        raise ValidationError(
            {
                "verdict": _("Must be one of %(choices)s.")
                % {"choices": ", ".join(ReviewVerdict.values)}
            }
        )
    comment = user_text(comment, field="comment")
    if verdict == ReviewVerdict.DISPUTED and not comment.strip():
        raise ValidationError({"comment": _("A dispute needs a comment.")})
    state = result_state(result=result)
    if state != "verified":
        raise refusals.review_needs_verified(state_text(state))
    if ResultReview.objects.filter(result=result, reviewer=user).exists():
        raise refusals.already_reviewed()
    try:
        with transaction.atomic():
            review = ResultReview.objects.create(
                result=result,
                verdict=verdict,
                reviewer=user,
                comment=comment,
                # Fixed now: the payer whose share a dispute holds (the guard checks it).
                payer_id=funder_payer_id(user_id=user.pk, programme_id=result.programme_id),
            )
    except IntegrityError as exc:
        raise refusals.refusal_conflict(exc, unique=refusals.already_reviewed()) from exc
    chain_append(
        programme=result.programme,
        kind=chain_kinds.REVIEW,
        object_id=review.pk,
        canonical=chain_kinds.canonical_of(chain_kinds.REVIEW, review.pk),
    )
    if verdict == ReviewVerdict.DISPUTED:
        # The disputed result's amount is held apart from what is due until resolved.
        outcome_facts_changed.send(
            sender=ResultReview,
            programme=result.programme,
            on=timezone.localdate(review.reviewed_at),
            actor=user,
            cause=f"dispute of result #{result.pk}",
        )
    return review
