from sib.permissions import Action
from tests.portal.rows import needs

PAGES = {
    "outcomes_portal:result-list": needs(Action.RESULT_VIEW),
    "outcomes_portal:result-submit": needs(Action.RESULT_SUBMIT),
    "outcomes_portal:result-import": needs(Action.RESULT_SUBMIT),
    "outcomes_portal:result-import-confirm": needs(Action.RESULT_SUBMIT, ok=405),
    "outcomes_portal:verification-queue": needs(Action.RESULT_VERIFY),
    "outcomes_portal:acceptance-list": needs(Action.RESULT_ACCEPT),
    "outcomes_portal:open-disputes": needs(Action.RESULT_VIEW),
    # A verified result: the aggregate-outcome readers (public funders) see it too.
    "outcomes_portal:result-detail": needs(Action.OUTCOME_VIEW),
    "outcomes_portal:evidence-download": needs(Action.RESULT_VIEW),
}
