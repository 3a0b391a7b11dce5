"""Routes of the money side, under /api/programmes/<id>/ (included by sib.api.urls)."""

from django.urls import path

from payments import (
    apis,
    apis_credit_refunds,
    apis_distributions,
    apis_joint,
    apis_position,
    apis_schedules,
    apis_variations,
)

programme = "programmes/<int:programme_id>/"
urlpatterns = [
    path(f"{programme}tranches/", apis.TrancheListApi.as_view(), name="tranche-list"),
    path(
        f"{programme}variations/",
        apis_variations.VariationListApi.as_view(),
        name="programme-variation-list",
    ),
    path(
        f"{programme}variations/create/",
        apis_variations.VariationCreateApi.as_view(),
        name="programme-variation-create",
    ),
    path(f"{programme}tranches/create/", apis.TrancheCreateApi.as_view(), name="tranche-create"),
    path(f"{programme}commitments/", apis.CommitmentListApi.as_view(), name="commitment-list"),
    path(
        f"{programme}commitments/aggregates/",
        apis.CommitmentAggregateListApi.as_view(),
        name="commitment-aggregate-list",
    ),
    path(
        f"{programme}commitments/create/",
        apis.CommitmentCreateApi.as_view(),
        name="commitment-create",
    ),
    path(f"{programme}drawdowns/", apis.DrawdownListApi.as_view(), name="drawdown-list"),
    path(f"{programme}drawdowns/create/", apis.DrawdownCreateApi.as_view(), name="drawdown-create"),
    path(
        f"{programme}payments-received/create/",
        apis.PaymentReceivedCreateApi.as_view(),
        name="payment-received-create",
    ),
    path(
        f"{programme}payments-received/joint/create/",
        apis_joint.JointPaymentReceivedCreateApi.as_view(),
        name="joint-payment-received-create",
    ),
    path(
        f"{programme}credit-refunds/create/",
        apis_credit_refunds.CreditRefundCreateApi.as_view(),
        name="credit-refund-create",
    ),
    path(f"{programme}ledger/accounts/", apis.AccountListApi.as_view(), name="ledger-account-list"),
    path(
        f"{programme}ledger/transactions/",
        apis.TransactionListApi.as_view(),
        name="ledger-transaction-list",
    ),
    path(
        f"{programme}ledger/transactions/<int:transaction_id>/reverse/",
        apis.TransactionReverseApi.as_view(),
        name="ledger-transaction-reverse",
    ),
    path(f"{programme}ledger/verify/", apis.LedgerVerifyApi.as_view(), name="ledger-verify"),
    path(f"{programme}position/", apis_position.PositionApi.as_view(), name="position"),
    # Outcome payments, schedules and statements (payments/apis_schedules.py).
    path(
        f"{programme}outcome-payments/",
        apis_schedules.OutcomePaymentListApi.as_view(),
        name="outcome-payment-list",
    ),
    path(f"{programme}schedule/", apis_schedules.ScheduleRetrieveApi.as_view(), name="schedule"),
    path(
        f"{programme}schedule/scenarios/<int:percent>/",
        apis_schedules.ScheduleScenarioRetrieveApi.as_view(),
        name="schedule-scenario",
    ),
    path(
        f"{programme}statement/",
        apis_schedules.InvestorStatementApi.as_view(),
        name="investor-statement",
    ),
    path(
        f"{programme}distributions/create/",
        apis_distributions.DistributionRecordApi.as_view(),
        name="distribution-record",
    ),
    path(
        f"{programme}distributions/",
        apis_distributions.DistributionComparedApi.as_view(),
        name="distribution-compared-list",
    ),
    path(
        f"{programme}guarantee-calls/create/",
        apis_distributions.GuaranteeCallCreateApi.as_view(),
        name="guarantee-call-create",
    ),
    path(
        f"{programme}guarantee-payments/create/",
        apis_distributions.GuaranteePaymentCreateApi.as_view(),
        name="guarantee-payment-create",
    ),
]
