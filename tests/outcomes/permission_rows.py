from datetime import date
from decimal import Decimal

from tests.permissions.rows import ALL_ROLES, EV, FM, FUNDER, LEAD, scoped


def _member(programme, role):  # type: ignore[no-untyped-def]
    from sib.models import Membership, User

    user, _ = User.objects.get_or_create(username=f"{programme.slug}-matrix-{role}")
    Membership.objects.get_or_create(user=user, programme=programme, role=role)
    return user


def _verified_result_id(programme):  # type: ignore[no-untyped-def]
    """A verified result, so every role that may see outcomes can reach it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from outcomes import services
    from outcomes.evidence import evidence_attach
    from outcomes.models import Result

    existing = Result.objects.filter(programme=programme).first()
    if existing is not None:
        return existing.pk
    cohort = services.cohort_create(programme=programme, code="m", name="M", planned_size=100)
    period = services.period_create(
        programme=programme,
        code="p",
        name="P",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 6, 30),
    )
    metric = services.metric_create(
        programme=programme,
        code="m",
        name="M",
        definition="Matrix metric.",
        unit="participant_outcome",
        mechanism={"kind": "rate_card", "price": 1000},
        cohorts=["m"],
        periods=["p"],
    )
    result = services.result_submit(
        programme=programme,
        user=_member(programme, "evaluator"),
        metric=metric,
        cohort=cohort,
        period=period,
        stage="interim",
        values=services.ResultValues(value=Decimal(12)),
    )
    evidence_attach(
        result=result,
        user=_member(programme, "evaluator"),
        uploaded=SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof", "application/pdf"),
    )
    services.result_verify(result=result, user=_member(programme, "lead_evaluator"))
    return result.pk


def _evidence_id(programme):  # type: ignore[no-untyped-def]
    """The evidence of that verified result (an evidence of another result is a 404)."""
    from outcomes.models import Evidence

    return Evidence.objects.get(result_id=_verified_result_id(programme)).pk


def _import_job_id(programme):  # type: ignore[no-untyped-def]
    """A queued import of the programme (another programme's job is a 404)."""
    import io

    from outcomes.import_jobs import import_job_queue

    job = import_job_queue(
        programme=programme,
        user=_member(programme, "evaluator"),
        stream=io.BytesIO(b"participant_id,metric,cohort,period,date_achieved\n"),
        filename="matrix.csv",
    )
    return job.pk


ROWS = {
    "cohort_list": scoped(*ALL_ROLES),
    "cohort_create": scoped(FM),
    "period_list": scoped(*ALL_ROLES),
    "period_create": scoped(FM),
    "metric_list": scoped(*ALL_ROLES),
    "metric_create": scoped(FM),
    "result_list": scoped(FM, EV, LEAD, FUNDER),
    "result_retrieve": scoped(FM, EV, LEAD, FUNDER),
    "result_submit": scoped(EV, LEAD),
    "results_import": scoped(EV, LEAD),
    "results_import_queue": scoped(EV, LEAD),
    "results_import_job": scoped(EV, LEAD),
    "result_verify": scoped(LEAD),
    "result_reject": scoped(LEAD),
    "result_amend": scoped(LEAD),
    "result_review": scoped(FUNDER),
    "result_dispute_withdraw": scoped(FUNDER),
    "result_evidence_upload": scoped(EV, LEAD),
    "result_evidence_download": scoped(FM, EV, LEAD),  # not funders: evidence names people
    "participant_record_list": scoped(EV, LEAD),
}

PARAMS = {
    "result_id": _verified_result_id,
    "evidence_id": _evidence_id,
    "job_id": _import_job_id,
}
