"""The database keeps the rules of a tranche's coupon and redemption, a variation and the
savings switch.

The services refuse these rows with a message; a write that skips them (a shell, a
migration, a bug) meets the same rules as CHECK constraints in PostgreSQL:
- a tranche with a coupon is not a guarantee and has no other return cap;
- a tranche with a redemption is not a guarantee and states its five terms;
- a variation gives its reason, is of a known kind and carries the parameters its kind
  needs (price_change: metric and price; cohort_removed: cohort; pause, resume,
  early_redemption: none);
- a programme's savings share switches at the repayment "target" or once "repaid".
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from payments.models import PaymentTerms, ProgrammeVariation, Tranche
from tests.payments.ledger_support import make_deal

pytestmark = pytest.mark.django_db

COUPON = {
    "metric": "restoration",
    "bands": [{"min_rate": "0.55", "max_rate": None, "rate": "0.05"}],
}


@pytest.mark.parametrize(
    ("kind", "cap", "protects"),
    [
        ("senior_loan", {"cap_type": "annual_rate", "cap_value": Decimal("0.05")}, False),
        ("equity", {"cap_type": "multiple", "cap_value": Decimal("1.5")}, False),
        ("guarantee", {"cover_limit": 100_000}, True),
    ],
)
def test_the_database_refuses_a_coupon_beside_a_cap_or_on_a_guarantee(kind, cap, protects):
    deal = make_deal("coupon")
    with (
        pytest.raises(IntegrityError, match="tranche_coupon_uncapped_not_guarantee"),
        transaction.atomic(),
    ):
        Tranche.objects.create(
            programme=deal.programme,
            key="bond",
            name="Bond",
            kind=kind,
            priority=2,
            protects=deal.tranche if protects else None,
            coupon=COUPON,
            **cap,
        )


def test_the_database_keeps_an_uncapped_tranche_with_a_coupon():
    deal = make_deal("coupon-ok")
    Tranche.objects.create(
        programme=deal.programme, key="bond", name="Bond", kind="equity", priority=2, coupon=COUPON
    )


REDEMPTION = {
    "maturity": "2030-12-31",
    "metric": "restoration",
    "full_at_rate": "0.60",
    "floor_percent": "50",
    "payer": "departement-13",
}


@pytest.mark.parametrize(
    ("kind", "redemption"),
    [
        ("guarantee", REDEMPTION),
        ("equity", {k: v for k, v in REDEMPTION.items() if k != "floor_percent"}),
        ("equity", {}),
    ],
)
def test_the_database_refuses_a_redemption_on_a_guarantee_or_missing_a_term(kind, redemption):
    deal = make_deal("redemption")
    guarantee = {"protects": deal.tranche, "cover_limit": 100_000} if kind == "guarantee" else {}
    with (
        pytest.raises(IntegrityError, match="tranche_redemption_terms_not_guarantee"),
        transaction.atomic(),
    ):
        Tranche.objects.create(
            programme=deal.programme,
            key="bond",
            name="Bond",
            kind=kind,
            priority=2,
            redemption=redemption,
            **guarantee,
        )


def test_the_database_keeps_a_tranche_with_a_redemption():
    deal = make_deal("redemption-ok")
    Tranche.objects.create(
        programme=deal.programme,
        key="bond",
        name="Bond",
        kind="equity",
        priority=2,
        redemption=REDEMPTION,
    )


def variation(deal, **fields) -> None:
    values = {"kind": "pause", "reason": "Agreed at the review", "parameters": {}, **fields}
    ProgrammeVariation.objects.create(
        programme=deal.programme, effective_date=date(2026, 7, 1), **values
    )


@pytest.mark.parametrize("reason", ["", "   ", "\n\t "])
def test_the_database_refuses_a_variation_without_a_reason(reason):
    deal = make_deal("reason")
    with pytest.raises(IntegrityError, match="variation_reason_given"), transaction.atomic():
        variation(deal, reason=reason)


def test_the_database_refuses_a_variation_of_an_unknown_kind():
    deal = make_deal("kind")
    with pytest.raises(IntegrityError, match="variation_kind_known"), transaction.atomic():
        variation(deal, kind="extension")


@pytest.mark.parametrize(
    ("kind", "parameters"),
    [
        ("price_change", {"metric": "training"}),
        ("price_change", {"price": 100_000}),
        ("price_change", {}),
        ("cohort_removed", {}),
        ("cohort_removed", {"metric": "training"}),
        ("pause", {"cohort": "c1"}),
        ("resume", {"price": 0}),
        ("pause", []),
        ("early_redemption", {"percent": "75"}),
    ],
)
def test_the_database_refuses_a_variation_without_the_parameters_of_its_kind(kind, parameters):
    deal = make_deal("parameters")
    with pytest.raises(IntegrityError, match="variation_parameters_by_kind"), transaction.atomic():
        variation(deal, kind=kind, parameters=parameters)


@pytest.mark.parametrize(
    ("kind", "parameters"),
    [
        ("price_change", {"metric": "training", "price": 100_000}),
        ("cohort_removed", {"cohort": "c1"}),
        ("pause", {}),
        ("resume", {}),
        ("early_redemption", {}),
    ],
)
def test_the_database_keeps_a_variation_with_the_parameters_of_its_kind(kind, parameters):
    deal = make_deal("parameters-ok")
    with transaction.atomic():
        variation(deal, kind=kind, parameters=parameters)
        # Rolled back: a variation written outside programme_vary has no chain entry.
        transaction.set_rollback(True)


def test_the_database_refuses_a_savings_switch_other_than_target_or_repaid():
    deal = make_deal("switch")
    PaymentTerms.objects.filter(programme=deal.programme).delete()
    with pytest.raises(IntegrityError, match="terms_savings_switch_known"), transaction.atomic():
        PaymentTerms.objects.create(programme=deal.programme, savings_switch="halfway")
    for switch in ("target", "repaid"):
        with transaction.atomic():
            PaymentTerms.objects.create(programme=deal.programme, savings_switch=switch)
            transaction.set_rollback(True)
