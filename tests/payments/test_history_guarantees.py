"""Guarantee calls and payments in the programme definition's history section."""

import pytest

from payments.position import programme_position
from sib.demo import demo_definition
from sib.models import ChainEntry, User
from sib.programme_format import (
    DefinitionError,
    programme_definition_dump,
    programme_definition_load,
)

pytestmark = pytest.mark.django_db

CALL = {
    "on": "2030-12-31",
    "tranche": "guarantee",
    "investor": "fondation-garantie",
    "amount": 7_200_000,
    "reason": "senior tranche ended short",
}
PAYMENT = {
    "on": "2031-02-15",
    "tranche": "guarantee",
    "investor": "fondation-garantie",
    "amount": 6_000_000,
}


@pytest.fixture
def creator():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create(username="manager")


def with_guarantees(calls, payments):
    document = demo_definition()
    document["history"]["guarantee_calls"] = calls
    document["history"]["guarantee_payments"] = payments
    return document


def test_a_guarantee_called_and_partly_paid_loads_and_dumps_the_same(creator):
    programme = programme_definition_load(with_guarantees([CALL], [PAYMENT]), creator=creator)
    [guarantor] = programme_position(programme=programme).guarantors
    assert (guarantor.guarantee_called, guarantor.guarantee_paid) == (7_200_000, 6_000_000)
    history = programme_definition_dump(programme)["history"]
    assert history["guarantee_calls"] == [CALL]
    assert history["guarantee_payments"] == [PAYMENT]


def test_guarantee_errors_name_their_json_path_and_nothing_is_written(creator):
    calls = [
        {**CALL, "investor": "banque-solidaire"},  # a lender, not a guarantor
        {**CALL, "amount": 15_000_001},  # above the 150 000 € cover
        {**CALL, "reason": ""},
    ]
    payments = [{**PAYMENT, "amount": 0, "extra": 1}]
    with pytest.raises(DefinitionError) as error:
        programme_definition_load(with_guarantees(calls, payments), creator=creator)
    errors = dict(error.value.errors)
    assert set(errors) >= {
        "history.guarantee_calls[0].investor",
        "history.guarantee_calls[1].amount",
        "history.guarantee_calls[2].reason",
        "history.guarantee_payments[0].amount",
        "history.guarantee_payments[0].extra",
    }
    assert not ChainEntry.objects.exists()


def test_a_guarantor_cannot_pay_more_than_was_called(creator):
    with pytest.raises(DefinitionError) as error:
        programme_definition_load(
            with_guarantees([CALL], [{**PAYMENT, "amount": 7_200_001}]), creator=creator
        )
    assert "history.guarantee_payments" in dict(error.value.errors)
