from sib.permissions import Action
from tests.portal.objects import disputed_result
from tests.portal.rows import needs

PAGES = {
    "payments_portal:dashboard": needs(Action.COMMITMENT_VIEW_ALL),
    "payments_portal:schedule": needs(Action.SCHEDULE_RUN),
    "payments_portal:scenarios": needs(Action.SCHEDULE_RUN),
    "payments_portal:investors": needs(Action.COMMITMENT_VIEW_ALL),
    "payments_portal:drawdown-record": needs(Action.DRAWDOWN_RECORD),
    "payments_portal:payment-record": needs(Action.PAYMENT_RECORD),
    "payments_portal:joint-payment-record": needs(Action.PAYMENT_RECORD),
    "payments_portal:credit-refund-record": needs(Action.PAYMENT_RECORD),
    "payments_portal:outcome-payments": needs(Action.PAYMENT_VIEW),
    "payments_portal:my-commitments": needs(Action.COMMITMENT_VIEW_OWN),
    "payments_portal:distributions": needs(Action.PAYMENT_RECORD),
    "payments_portal:distribution-record": needs(Action.PAYMENT_RECORD),
    "payments_portal:guarantees": needs(Action.PAYMENT_RECORD),
    "payments_portal:guarantee-record": needs(Action.PAYMENT_RECORD),
    "payments_portal:movements": needs(Action.PAYMENT_RECORD),
    "payments_portal:programme-termination": needs(Action.PROGRAMME_MANAGE),
    # Read by whoever sees the payments due; the form to record is the manager's (POST).
    "payments_portal:variations": needs(Action.PAYMENT_VIEW),
    "payments_portal:payer-splits": needs(Action.PROGRAMME_MANAGE),
    # A result the programme's public funder disputed: the one who may withdraw it.
    "payments_portal:dispute-withdraw": needs(Action.RESULT_ACCEPT, result_id=disputed_result),
    # A drawdown (the resolver's transaction): correcting it is recording drawdowns.
    "payments_portal:transaction-reverse": needs(Action.DRAWDOWN_RECORD),
}
