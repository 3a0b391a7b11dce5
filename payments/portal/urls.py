"""Portal routes of the money pages (included by sib.portal.urls)."""

from django.urls import path

from payments.portal import (
    credit_refunds,
    disputes,
    distributions,
    joint,
    movements,
    payer_splits,
    termination,
    variations,
    views,
)

app_name = "payments_portal"

money = "programmes/<int:programme_id>/money/"
urlpatterns = [
    path(money, views.dashboard, name="dashboard"),
    path(f"{money}schedule/", views.schedule, name="schedule"),
    path(
        "programmes/<int:programme_id>/termination/",
        termination.programme_termination,
        name="programme-termination",
    ),
    path(
        "programmes/<int:programme_id>/payer-splits/",
        payer_splits.payer_splits,
        name="payer-splits",
    ),
    path(
        "programmes/<int:programme_id>/variations/",
        variations.variations,
        name="variations",
    ),
    path(f"{money}scenarios/", views.scenarios, name="scenarios"),
    path(f"{money}investors/", views.investors, name="investors"),
    path(f"{money}drawdown/", views.drawdown_record, name="drawdown-record"),
    path(f"{money}payment/", views.payment_record, name="payment-record"),
    path(
        f"{money}payment/joint/",
        joint.joint_payment_record_page,
        name="joint-payment-record",
    ),
    path(
        f"{money}payment/credit-refund/",
        credit_refunds.credit_refund_record_page,
        name="credit-refund-record",
    ),
    path(f"{money}outcome-payments/", views.outcome_payments, name="outcome-payments"),
    path(f"{money}mine/", views.my_commitments, name="my-commitments"),
    path(f"{money}distributions/", distributions.distributions, name="distributions"),
    path(
        f"{money}distributions/<str:paid_on>/record/",
        distributions.distribution_record_page,
        name="distribution-record",
    ),
    path(f"{money}guarantees/", movements.guarantees, name="guarantees"),
    path(
        f"{money}guarantees/<str:what>/",
        movements.guarantee_record,
        name="guarantee-record",
    ),
    path(f"{money}movements/", movements.movements, name="movements"),
    path(
        f"{money}disputes/<int:result_id>/withdraw/",
        disputes.dispute_withdraw_page,
        name="dispute-withdraw",
    ),
    path(
        f"{money}movements/<int:transaction_id>/reverse/",
        movements.transaction_reverse,
        name="transaction-reverse",
    ),
]

SECTION_PAGES = {
    "dashboard": "payments_portal:dashboard",
    "schedule": "payments_portal:schedule",
    "scenarios": "payments_portal:scenarios",
    "investors": "payments_portal:investors",
    "drawdown": "payments_portal:drawdown-record",
    "payment": "payments_portal:payment-record",
    "payments-due": "payments_portal:outcome-payments",
    "my-commitments": "payments_portal:my-commitments",
    "distributions": "payments_portal:distributions",
    "guarantees": "payments_portal:guarantees",
    "movements": "payments_portal:movements",
    "variations": "payments_portal:variations",
}
