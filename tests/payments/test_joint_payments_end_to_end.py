"""A joint payment brought in by a programme definition's history, end to end:
programme_load, the position, schedule --json, the payer notice, programme_dump.

The demo deal (sib.demo) after its history: the State owes 3 780 000, the département
3 108 000 (tests/payments/test_joint_payments.py). On 2026-12-01 the State sends
1 000 000 for both, allocated by what each owes: 548 780 and 451 220.
"""

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation
from jsonschema import Draft202012Validator

from payments.models import JointPayment
from payments.position import programme_position
from reports.notices import notice_data
from reports.selectors.state import chain_state
from sib.demo import demo_definition
from sib.models import ChainEntry, Organisation, Programme, User
from sib.programme_format import (
    DefinitionError,
    programme_definition_dump,
    programme_definition_load,
    programme_schema,
)

pytestmark = pytest.mark.django_db

SLUG, STATE, COUNTY = "jardins-solidaires", "etat", "departement-13"
JOINT = {
    "on": "2026-12-01",
    "paid_by": STATE,
    "amount": 1_000_000,
    "settles": [{"payer": STATE}, {"payer": COUNTY}],
}


@pytest.fixture
def manager():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create_superuser("root", password="pw-123456789")


def joint_deal(joint: dict | None = None) -> dict:
    document = demo_definition()
    document["history"]["joint_payments_received"] = [copy.deepcopy(joint or JOINT)]
    return document


def load(tmp_path: Path, document: dict) -> None:
    path = tmp_path / "deal.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    call_command("programme_load", str(path), manager="root", stdout=StringIO())


def schedule_json() -> dict:
    out = StringIO()
    call_command("schedule", SLUG, json=True, stdout=out)
    return json.loads(out.getvalue())


def test_a_joint_payment_in_history_settles_both_payers_on_position_schedule_and_notice(
    manager, tmp_path
):
    """1 000 000 x 3 780 000 / 6 888 000 = 548 780.49 -> 548 780 for the State;
    1 000 000 x 3 108 000 / 6 888 000 = 451 219.51 -> 451 220 for the département."""
    document = joint_deal()
    assert not list(Draft202012Validator(programme_schema()).iter_errors(document))
    load(tmp_path, document)
    programme = Programme.objects.get(slug=SLUG)
    position = programme_position(programme=programme)
    assert position.payer(STATE).payable == 3_780_000 - 548_780
    assert position.payer(COUNTY).payable == 3_108_000 - 451_220
    assert position.payer(COUNTY).settled_by == ((STATE, 451_220),)
    assert position.payer(STATE).paid_for == ((COUNTY, 451_220),)
    joint = JointPayment.objects.get(programme=programme)
    assert ChainEntry.objects.get(
        programme=programme, kind="ledger_transaction", object_id=str(joint.transaction_id)
    ).imported

    # The waterfall distributes the bank payment as one: 1 000 000 on its day.
    payments = schedule_json()["schedule"]["payments"]
    assert {"amount": 1_000_000, "on": "2026-12-01"} in payments

    county = notice_data(
        programme=programme,
        payer=Organisation.objects.get(slug=COUNTY),
        language="en",
        state=chain_state(programme=programme),
    )
    [paid] = county.payments
    assert (paid.amount, paid.paid_by) == (451_220, "État (ministère du Travail)")
    state = notice_data(
        programme=programme,
        payer=Organisation.objects.get(slug=STATE),
        language="en",
        state=chain_state(programme=programme),
    )
    # Its own payments: none paid by another party.
    assert [(p.amount, p.paid_by) for p in state.payments] == [(3_472_000, ""), (548_780, "")]


def test_a_joint_payment_dumps_with_each_part_and_loads_back_to_the_same_position(
    manager, tmp_path
):
    load(tmp_path, joint_deal())
    programme = Programme.objects.get(slug=SLUG)
    dumped = programme_definition_dump(programme)
    assert dumped["history"]["joint_payments_received"] == [
        {
            "amount": 1_000_000,
            "on": "2026-12-01",
            "paid_by": STATE,
            "settles": [
                {"amount": 548_780, "payer": STATE},
                {"amount": 451_220, "payer": COUNTY},
            ],
        }
    ]
    # The joint payment is not also dumped as a payment from the State.
    assert dumped["history"]["payments_received"] == [
        {"amount": 3_472_000, "on": "2026-11-20", "payer": STATE}
    ]
    assert not list(Draft202012Validator(programme_schema()).iter_errors(dumped))
    before = programme_position(programme=programme).payers
    dumped["programme"]["slug"] = "jardins-copy"
    copy_programme = programme_definition_load(dumped, creator=manager)
    assert programme_position(programme=copy_programme).payers == before


@pytest.mark.parametrize(
    ("joint", "path", "words"),
    [
        ({**JOINT, "paid_by": "banque-solidaire"}, "paid_by", "not an outcome payer"),
        (
            {**JOINT, "settles": [{"payer": COUNTY}, {"payer": COUNTY}]},
            "settles[1].payer",
            "listed twice",
        ),
        (
            {**JOINT, "settles": [{"payer": STATE, "amount": 10}, {"payer": COUNTY}]},
            "settles",
            "every payer settled, or for none",
        ),
        (
            {**JOINT, "settles": [{"payer": STATE, "amount": 10}, {"payer": COUNTY, "amount": 5}]},
            "amount",
            "1000000 is not the sum of the parts, 15",
        ),
        ({k: v for k, v in JOINT.items() if k != "amount"}, "amount", "give the total"),
    ],
)
def test_a_malformed_joint_payment_in_history_is_refused_at_its_path(manager, joint, path, words):
    with translation.override("en"), pytest.raises(DefinitionError) as refused:
        programme_definition_load(joint_deal(joint), creator=manager)
    errors = dict(refused.value.errors)
    assert words in errors[f"history.joint_payments_received[0].{path}"]
    assert not ChainEntry.objects.exists()


def test_a_part_above_what_its_payer_owes_that_day_is_refused_at_the_entry(manager):
    """The département owes 3 108 000 on 2026-12-01: a part of 3 108 001 is refused while
    loading, named by the entry, and nothing of the load is written."""
    joint = {
        "on": "2026-12-01",
        "paid_by": STATE,
        "settles": [{"payer": STATE, "amount": 1}, {"payer": COUNTY, "amount": 3_108_001}],
    }
    with translation.override("en"), pytest.raises(DefinitionError) as refused:
        programme_definition_load(joint_deal(joint), creator=manager)
    errors = dict(refused.value.errors)
    assert "its part, €31,080.01, is more" in errors["history.joint_payments_received[0]"]
    assert not ChainEntry.objects.exists()
    assert not JointPayment.objects.exists()


def test_the_schema_refuses_a_joint_payment_settling_no_one(manager):
    document = joint_deal({**JOINT, "settles": []})
    errors = list(Draft202012Validator(programme_schema()).iter_errors(document))
    assert [list(e.absolute_path) for e in errors] == [
        ["history", "joint_payments_received", 0, "settles"]
    ]
