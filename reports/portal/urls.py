"""Portal routes of the report pages and charts (included by sib.portal.urls)."""

from django.urls import path

from reports.portal import views

app_name = "reports_portal"

programme = "programmes/<int:programme_id>/"
report = f"{programme}reports/<int:report_id>/"
urlpatterns = [
    path(f"{programme}outcomes/", views.outcomes_achieved, name="outcomes"),
    path(f"{programme}investor-returns/", views.investor_returns, name="investor-returns"),
    path(f"{programme}reports/", views.report_list, name="report-list"),
    path(
        f"{programme}verification-bundle/",
        views.verification_bundle,
        name="verification-bundle",
    ),
    path(f"{programme}notices/request/", views.notice_request, name="notice-request"),
    path(report, views.report_detail, name="report-detail"),
    path(f"{report}download/", views.report_download, name="report-download"),
    # SVG charts the money pages show as images (the chart builders live in this app).
    path(f"{programme}charts/payments.svg", views.chart_payments, name="chart-payments"),
    path(f"{programme}charts/schedule.svg", views.chart_schedule, name="chart-schedule"),
    # No login: the published public editions of a programme.
    path("published/<slug:programme_slug>/", views.published_list, name="published-list"),
]

SECTION_PAGES = {
    "outcomes": "reports_portal:outcomes",
    "returns": "reports_portal:investor-returns",
    "reports-manager": "reports_portal:report-list",
    "reports-public": "reports_portal:report-list",
}
