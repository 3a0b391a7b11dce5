"""Objects the portal's page-walking tests need on a programme: a verified result, a report."""

from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from outcomes import services as outcomes
from outcomes.evidence import evidence_attach
from outcomes.models import Evidence, Result
from reports.models import Report
from sib.models import Membership, Programme, Role


def verified_result(programme: Programme) -> int:
    """Return a verified result of the programme (submitted by its evaluator), made once."""
    existing = Result.objects.filter(programme=programme, decision__decision="verified").first()
    if existing:
        return existing.pk
    evaluator = Membership.objects.get(programme=programme, role=Role.EVALUATOR).user
    lead = Membership.objects.get(programme=programme, role=Role.LEAD_EVALUATOR).user
    cohort = outcomes.cohort_create(
        programme=programme, code="c1", name="Cohort 1", planned_size=100
    )
    period = outcomes.period_create(
        programme=programme, code="p1", name="2026", start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )  # fmt: skip
    metric = outcomes.metric_create(
        programme=programme, code="in-work", name="In work", definition="In work at 6 months.",
        unit="participant_outcome", mechanism={"kind": "rate_card", "price": 300_000},
        target_value=Decimal(50), cohorts=["c1"], periods=["p1"],
    )  # fmt: skip
    result = outcomes.result_submit(
        programme=programme, user=evaluator, metric=metric, cohort=cohort, period=period,
        stage="interim", values=outcomes.ResultValues(value=Decimal(12)),
    )  # fmt: skip
    evidence_attach(
        result=result,
        user=evaluator,
        uploaded=SimpleUploadedFile("certificat.pdf", b"%PDF-1.4 certificat", "application/pdf"),
    )
    outcomes.result_verify(result=result, user=lead)
    return result.pk


def verified_result_evidence(programme: Programme) -> int:
    """Return the evidence of the programme's verified result (verified_result)."""
    return Evidence.objects.get(result_id=verified_result(programme)).pk


def submitted_result(programme: Programme) -> int:
    """Return a result of the programme submitted by its evaluator and not yet decided."""
    verified = Result.objects.get(pk=verified_result(programme))
    # The first final of the cell replaces its interim; another one is declared additional
    # (outcomes.cells), so that a page walk may ask for several.
    again = (
        Result.objects.filter(programme=programme, stage="final")
        .exclude(decision__decision="rejected")
        .exists()
    )
    values = outcomes.ResultValues(
        value=Decimal(14), additional=again, additional_reason="a second site" if again else ""
    )
    result = outcomes.result_submit(
        programme=programme, user=verified.submitted_by, metric=verified.metric,
        cohort=verified.cohort, period=verified.period, stage="final", values=values,
    )  # fmt: skip
    return result.pk


def ready_report(programme: Programme) -> int:
    """Return a ready (unpublished) public report row of the programme, made once."""
    report, _ = Report.objects.get_or_create(
        programme=programme, edition="public", language="fr", chain_head="0" * 64,
        defaults={"chain_seq": 0, "mask_threshold": 10, "status": "ready",
                  "pdf": b"%PDF-1.4\n%test\n", "sha256": "ab" * 32, "size": 15},
    )  # fmt: skip
    return report.pk


def disputed_result(programme: Programme) -> int:
    """Return a verified result of the programme its public funder disputed, made once."""
    existing = Result.objects.filter(programme=programme, reviews__verdict="disputed").first()
    if existing:
        return existing.pk
    result = Result.objects.get(pk=submitted_result(programme))
    lead = Membership.objects.get(programme=programme, role=Role.LEAD_EVALUATOR).user
    funder = Membership.objects.get(programme=programme, role=Role.PUBLIC_FUNDER).user
    outcomes.result_verify(result=result, user=lead)
    outcomes.result_review(result=result, user=funder, verdict="disputed", comment="recount")
    return result.pk
