"""Reads the report pages of the portal need beyond reports.selectors."""

from django.db.models import QuerySet

from reports.models import Edition, Report, ReportStatus


def published_report_list(*, slug: str) -> QuerySet[Report]:
    """Return a programme's published public reports, newest state first (no PDF bytes)."""
    return (
        Report.objects.filter(
            programme__slug=slug,
            edition=Edition.PUBLIC,
            published=True,
            status=ReportStatus.READY,
        )
        .select_related("programme")
        .order_by("-chain_seq", "language")
    )
