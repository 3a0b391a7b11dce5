"""Joint payments: one payment from one party settles the dues of several payers.

The deal is the demo's (sib.demo): after its history the State (etat) owes
7 252 000 due - 3 472 000 received = 3 780 000, and the département (departement-13)
owes all its 3 108 000 due. Together: 6 888 000.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import translation
from rest_framework.test import APIClient

from payments import ledger
from payments.joint_payments import JointPart, joint_payment_record
from payments.models import JointPayment, LedgerTransaction, Leg, TransactionKind
from payments.position import programme_position
from payments.services import ledger_transaction_reverse
from sib.chain_verification import chain_verify
from sib.demo import demo_definition
from sib.models import ChainEntry, Organisation, User
from sib.programme_format import programme_definition_load

pytestmark = pytest.mark.django_db

STATE, COUNTY = "etat", "departement-13"
STATE_OWES, COUNTY_OWES = 3_780_000, 3_108_000
ON = date(2026, 12, 1)


@pytest.fixture
def manager():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create_superuser("root", password="pw-123456789")


@pytest.fixture
def programme(manager):
    return programme_definition_load(demo_definition(), creator=manager)


def _org(slug: str) -> Organisation:
    return Organisation.objects.get(slug=slug)


def _written(programme) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return (
        LedgerTransaction.objects.filter(programme=programme).count(),
        ChainEntry.objects.filter(programme=programme).count(),
        JointPayment.objects.count(),
    )


def _legs(tx: LedgerTransaction) -> list[tuple[str, int, int]]:
    return [
        (leg.account.code, leg.debit, leg.credit)
        for leg in Leg.objects.filter(transaction=tx).select_related("account").order_by("id")
    ]


def test_the_state_pays_for_itself_and_the_county_in_one_balanced_transaction(programme, manager):
    """The State sends 6 888 000 under its agreement with the département:
    3 780 000 settles its own dues, 3 108 000 the département's.

        Dr cash                        6 888 000
            Cr receivable:etat                    3 780 000
            Cr receivable:departement-13          3 108 000

    Afterwards neither owes anything; the département's 3 108 000 received was paid by
    the State, and the State paid 3 108 000 for the département."""
    tx = joint_payment_record(
        programme=programme,
        paid_by=_org(STATE),
        parts=[JointPart(_org(STATE), STATE_OWES), JointPart(_org(COUNTY), COUNTY_OWES)],
        received_on=ON,
        actor=manager,
    )
    assert tx.kind == TransactionKind.PAYMENT_RECEIVED
    assert _legs(tx) == [
        ("cash", 6_888_000, 0),
        (f"receivable:{STATE}", 0, STATE_OWES),
        (f"receivable:{COUNTY}", 0, COUNTY_OWES),
    ]
    assert tx.joint_payment.paid_by.slug == STATE
    assert "from État" in tx.description and "Bouches-du-Rhône" in tx.description
    debit, credit = ledger.trial_balance(programme_id=programme.pk)["EUR"]
    assert debit == credit
    position = programme_position(programme=programme)
    state, county = position.payer(STATE), position.payer(COUNTY)
    assert (state.payable, county.payable) == (0, 0)
    assert county.received == COUNTY_OWES
    assert county.settled_by == ((STATE, COUNTY_OWES),)
    assert state.paid_for == ((COUNTY, COUNTY_OWES),)
    # The State's own part is its own payment: not "settled by" anyone else.
    assert state.settled_by == () and county.paid_for == ()
    assert position.totals["received"] == 3_472_000 + 6_888_000
    assert chain_verify(programme_id=programme.pk).ok


def test_without_parts_the_total_is_shared_by_what_each_payer_owes_now(programme, manager):
    """1 000 000 for both, allocated by what each owes (sib.money.allocate):
        State       1 000 000 x 3 780 000 / 6 888 000 = 548 780.49 -> 548 780
        département 1 000 000 x 3 108 000 / 6 888 000 = 451 219.51 -> 451 219 + 1
    (the cent left over goes to the larger remainder, .51 against .49)."""
    tx = joint_payment_record(
        programme=programme,
        paid_by=_org(STATE),
        parts=[JointPart(_org(STATE)), JointPart(_org(COUNTY))],
        amount=1_000_000,
        received_on=ON,
        actor=manager,
    )
    assert _legs(tx)[1:] == [
        (f"receivable:{STATE}", 0, 548_780),
        (f"receivable:{COUNTY}", 0, 451_220),
    ]
    position = programme_position(programme=programme)
    assert position.payer(STATE).payable == STATE_OWES - 548_780
    assert position.payer(COUNTY).payable == COUNTY_OWES - 451_220


def test_a_part_above_what_its_payer_owes_is_refused_and_nothing_is_written(programme, manager):
    """The département owes 3 108 000: a part of 3 108 001 is refused, at its field,
    and the State's valid part is not written either (all or nothing)."""
    before = _written(programme)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        joint_payment_record(
            programme=programme,
            paid_by=_org(STATE),
            parts=[JointPart(_org(STATE), 1_000), JointPart(_org(COUNTY), COUNTY_OWES + 1)],
            received_on=ON,
            actor=manager,
        )
    errors = refused.value.message_dict
    assert list(errors) == ["settles[1].amount"]
    assert errors["settles[1].amount"] == [
        "Département des Bouches-du-Rhône owes €31,080.00 now (€0.00 more is in dispute); "
        "its part, €31,080.01, is more."
    ]
    assert _written(programme) == before


def test_an_allocated_total_above_what_all_owe_is_refused(programme, manager):
    before = _written(programme)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        joint_payment_record(
            programme=programme,
            paid_by=_org(STATE),
            parts=[JointPart(_org(STATE)), JointPart(_org(COUNTY))],
            amount=6_888_001,
            received_on=ON,
            actor=manager,
        )
    assert "owe €68,880.00 now together" in refused.value.message_dict["amount"][0]
    assert _written(programme) == before


@pytest.mark.parametrize(
    ("paid_by", "parts", "amount", "field"),
    [
        ("banque-solidaire", [(STATE, 10)], None, "paid_by"),
        (STATE, [(STATE, 10), (STATE, 20)], None, "settles[1].payer"),
        (STATE, [(STATE, 10), ("fonds-impact", 20)], None, "settles[1].payer"),
        (STATE, [(STATE, 10), (COUNTY, None)], None, "settles"),
        (STATE, [(STATE, None)], None, "amount"),
        (STATE, [(STATE, 10), (COUNTY, 20)], 31, "amount"),
        (STATE, [(STATE, 0)], None, "settles[0].amount"),
        (STATE, [], 10, "settles"),
    ],
)
def test_a_malformed_joint_payment_is_refused_naming_the_field(
    programme, manager, paid_by, parts, amount, field
):
    before = _written(programme)
    with pytest.raises(ValidationError) as refused:
        joint_payment_record(
            programme=programme,
            paid_by=_org(paid_by),
            parts=[JointPart(_org(slug), part) for slug, part in parts],
            amount=amount,
            received_on=ON,
            actor=manager,
        )
    assert field in refused.value.message_dict
    assert _written(programme) == before


def test_a_reversed_joint_payment_owes_both_payers_their_dues_again(programme, manager):
    tx = joint_payment_record(
        programme=programme,
        paid_by=_org(STATE),
        parts=[JointPart(_org(STATE), 1_000), JointPart(_org(COUNTY), 2_000)],
        received_on=ON,
        actor=manager,
    )
    ledger_transaction_reverse(original=tx, reason="bank returned it", actor=manager)
    position = programme_position(programme=programme)
    assert (position.payer(STATE).payable, position.payer(COUNTY).payable) == (
        STATE_OWES,
        COUNTY_OWES,
    )
    assert position.payer(COUNTY).settled_by == ()


def test_the_database_refuses_a_joint_payment_on_another_kind_of_transaction(programme):
    drawdown = LedgerTransaction.objects.filter(programme=programme, kind="drawdown").first()
    with pytest.raises(DatabaseError, match="not a payment received"), transaction.atomic():
        JointPayment.objects.create(programme=programme, transaction=drawdown, paid_by=_org(STATE))


def test_the_api_records_a_joint_payment_once_per_idempotency_key(programme, manager):
    client = APIClient()
    client.force_authenticate(manager)
    url = f"/api/programmes/{programme.pk}/payments-received/joint/create/"
    body = {
        "paid_by": STATE,
        "received_on": ON.isoformat(),
        "settles": [{"payer": STATE, "amount": 1_000}, {"payer": COUNTY, "amount": 2_000}],
    }
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="joint-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="joint-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert JointPayment.objects.count() == 1
    position = client.get(f"/api/programmes/{programme.pk}/position/").json()
    county = next(p for p in position["payers"] if p["payer"] == COUNTY)
    assert county["settled_by"] == [{"party": STATE, "amount": 2_000}]


def test_the_api_names_the_part_refused_in_french(programme, manager):
    client = APIClient()
    client.force_authenticate(manager)
    url = f"/api/programmes/{programme.pk}/payments-received/joint/create/"
    body = {
        "paid_by": STATE,
        "received_on": ON.isoformat(),
        "settles": [{"payer": "nobody"}, {"payer": COUNTY, "amount": COUNTY_OWES + 1}],
    }
    response = client.post(
        url, body, format="json", HTTP_IDEMPOTENCY_KEY="joint-2", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 400
    assert "nobody" in str(response.json())
    assert JointPayment.objects.count() == 0
