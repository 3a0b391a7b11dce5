"""The reports already built: a programme's list, one report, the published public one."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from reports.models import Edition, Report, ReportStatus
from sib.models import Programme


def report_list(*, programme: Programme, editions: Iterable[str]) -> QuerySet[Report]:
    """Return the programme's reports of the given editions, newest first."""
    return Report.objects.filter(programme=programme, edition__in=list(editions)).select_related(
        "programme"
    )


def report_get(*, programme: Programme, report_id: int, with_pdf: bool = False) -> Report:
    """Return one of the programme's reports (Report.DoesNotExist for another's)."""
    manager = Report.objects.with_pdf() if with_pdf else Report.objects.all()
    return manager.select_related("programme").get(programme=programme, pk=report_id)


def report_published(*, slug: str, language: str, chain_head: str | None = None) -> Report:
    """Return the latest published public report (or the one at `chain_head`)."""
    reports = Report.objects.with_pdf().filter(
        programme__slug=slug,
        language=language,
        edition=Edition.PUBLIC,
        published=True,
        status=ReportStatus.READY,
    )
    if chain_head is not None:
        return reports.select_related("programme").get(chain_head=chain_head)
    report = reports.select_related("programme").order_by("-chain_seq", "-published_at").first()
    if report is None:
        raise Report.DoesNotExist
    return report
