"""A recorded distribution never repays more principal than an investor has outstanding,
nor reimburses a guarantor more than the programme owes it: the ledger would otherwise
show a negative principal (repaid above drawn) and every multiple built on it."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from payments.distributions import PaidOut, distribution_record
from payments.models import LedgerTransaction, TransactionKind
from payments.position import programme_position
from tests.payments.schedule_support import D, jardins

pytestmark = pytest.mark.django_db

PAID_ON = D(2027, 3, 31)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def funded():
    """Fonds Impact Sud drew 50 000 € of junior capital; the programme holds 300 000 €."""
    deal = jardins()
    deal.draw("junior", "fonds-impact", D(2026, 1, 15), 5_000_000)
    deal.receive_owed("etat", 25_000_000, PAID_ON)
    return deal


def test_principal_repaid_above_what_the_investor_has_outstanding_is_refused():
    """Drawn 50 000,00 €, repaid 0: a principal line of 50 000,01 € is one cent too many."""
    deal = funded()
    with pytest.raises(ValidationError) as refused:
        distribution_record(
            programme=deal.programme,
            paid_on=PAID_ON,
            lines=[PaidOut("principal", "fonds-impact", 5_000_001, "junior")],
            actor=deal.manager,
            reason="paid by hand",
        )
    message = refused.value.message_dict["lines"][0]
    assert "fonds-impact" in message and "€50,000.00" in message
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.DISTRIBUTION).exists()
    (junior,) = [
        i for i in programme_position(programme=deal.programme).investors if i.tranche == "junior"
    ]
    assert (junior.principal_repaid, junior.principal_outstanding) == (0, 5_000_000)


def test_two_lines_to_the_same_principal_are_added_before_the_bound():
    """30 000 € + 20 000,01 € to the same investor: 50 000,01 € in all, refused."""
    deal = funded()
    with pytest.raises(ValidationError):
        distribution_record(
            programme=deal.programme,
            paid_on=PAID_ON,
            lines=[
                PaidOut("principal", "fonds-impact", 3_000_000, "junior"),
                PaidOut("principal", "fonds-impact", 2_000_001, "junior"),
            ],
            actor=deal.manager,
            reason="paid by hand",
        )


def test_repaying_exactly_the_outstanding_principal_stands():
    deal = funded()
    distribution_record(
        programme=deal.programme,
        paid_on=PAID_ON,
        lines=[PaidOut("principal", "fonds-impact", 5_000_000, "junior")],
        actor=deal.manager,
        reason="paid by hand",
    )
    (junior,) = [
        i for i in programme_position(programme=deal.programme).investors if i.tranche == "junior"
    ]
    assert (junior.principal_repaid, junior.principal_outstanding) == (5_000_000, 0)


def test_a_guarantor_is_not_reimbursed_more_than_it_paid_in():
    """The guarantor paid nothing in: any reimbursement to it is more than owed."""
    deal = funded()
    with pytest.raises(ValidationError) as refused:
        distribution_record(
            programme=deal.programme,
            paid_on=PAID_ON,
            lines=[PaidOut("guarantee_reimbursement", "fondation-garantie", 100, "guarantee")],
            actor=deal.manager,
            reason="paid by hand",
        )
    assert "fondation-garantie" in refused.value.message_dict["lines"][0]
