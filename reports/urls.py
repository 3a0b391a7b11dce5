"""Report routes under /api/ (included by sib.api.urls), and the public published downloads."""

from django.urls import path

from reports import apis

programme = "programmes/<int:programme_id>/"
report = f"{programme}reports/<int:report_id>/"
published = "reports/published/<slug:programme_slug>/<str:language>/"

urlpatterns = [
    path(f"{programme}reports/", apis.ReportListApi.as_view(), name="report-list"),
    path(f"{programme}reports/request/", apis.ReportRequestApi.as_view(), name="report-request"),
    path(f"{programme}reports/verify/", apis.ReportVerifyApi.as_view(), name="report-verify"),
    path(
        f"{programme}verification-bundle/",
        apis.VerificationBundleApi.as_view(),
        name="verification-bundle",
    ),
    path(f"{programme}notices/", apis.NoticeListApi.as_view(), name="notice-list"),
    path(f"{programme}notices/request/", apis.NoticeRequestApi.as_view(), name="notice-request"),
    path(
        f"{programme}notices/<int:notice_id>/download/",
        apis.NoticeDownloadApi.as_view(),
        name="notice-download",
    ),
    path(report, apis.ReportDetailApi.as_view(), name="report-detail"),
    path(f"{report}download/", apis.ReportDownloadApi.as_view(), name="report-download"),
    path(f"{report}publish/", apis.ReportPublishApi.as_view(), name="report-publish"),
    # No login: a published public edition, the latest state or one exact chain head.
    path(
        f"{published}latest.pdf",
        apis.PublishedReportLatestApi.as_view(),
        name="report-published-latest",
    ),
    path(
        f"{published}<str:chain_head>.pdf",
        apis.PublishedReportAtApi.as_view(),
        name="report-published-at",
    ),
]
