from sib.permissions import Action
from tests.portal.rows import needs

PAGES = {
    "reports_portal:outcomes": needs(Action.OUTCOME_VIEW),
    "reports_portal:investor-returns": needs(Action.INVESTOR_AGGREGATE_VIEW),
    "reports_portal:report-list": needs(Action.PROGRAMME_VIEW),
    "reports_portal:verification-bundle": needs(Action.BUNDLE_DOWNLOAD),
    # A form's target: any member is told to post (a stranger still gets 404).
    "reports_portal:notice-request": needs(Action.PROGRAMME_VIEW, ok=405),
    # An unpublished public report (reports.apis.can_download).
    "reports_portal:report-detail": needs(
        Action.REPORT_DOWNLOAD_PUBLIC, Action.REPORT_REQUEST_PUBLIC
    ),
    "reports_portal:report-download": needs(
        Action.REPORT_DOWNLOAD_PUBLIC, Action.REPORT_REQUEST_PUBLIC
    ),
    "reports_portal:chart-payments": needs(Action.PAYMENT_VIEW),
    "reports_portal:chart-schedule": needs(Action.SCHEDULE_RUN),
}
