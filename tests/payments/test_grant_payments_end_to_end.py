"""A running deal brought in with a period switched to grant payments: `programme_load`,
then `schedule --json`, then `programme_dump` gives the switch back.

Hand calculation (the demo's history, docs/programme-format.md "Example"): 62 entries into
training (62 × 800 = 49 600 €) and 18 in work at 6 months (18 × 3 000 = 54 000 €), all
for period 2026: 103 600 € by results. Period 2026 switched to a 50 000 € grant from
1 December 2026: the results pay 0 (listed, reason grant_payments, 103 600 €) and the
payers owe the grant, split 70/30: the State 35 000 €, the département 15 000 €.
"""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sib.chain_verification import chain_verify
from sib.demo import demo_definition
from sib.models import Programme, User
from tests.payments.test_variations_end_to_end import SLUG, command_json, load

pytestmark = pytest.mark.django_db

SWITCH = {
    "kind": "grant_payments",
    "effective_date": "2026-12-01",
    "periods": ["2026"],
    "amount": 5_000_000,
    "reason": "Fixed grant while the sites are closed",
}


@pytest.fixture
def manager():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create_superuser("root", password="pw-123456789")


def test_a_switched_period_loads_schedules_its_grant_and_dumps_back(manager, tmp_path: Path):
    load(tmp_path, {**demo_definition(), "variations": [SWITCH]})
    plan = command_json("schedule", SLUG, json=True)["outcome_payments"]
    assert plan["total"] == 5_000_000
    assert {p["payer"]: p["amount"] for p in plan["payer_totals"]} == {
        "etat": 3_500_000,
        "departement-13": 1_500_000,
    }
    assert [(n["reason"], n["metric"], n["amount"]) for n in plan["not_payable"]] == [
        ("grant_payments", "in-work-6m", 5_400_000),
        ("grant_payments", "training", 4_960_000),
    ]
    assert chain_verify(programme_id=Programme.objects.get(slug=SLUG).pk).ok

    out = StringIO()
    call_command("programme_dump", SLUG, stdout=out)
    assert json.loads(out.getvalue())["variations"] == [SWITCH]

    text = StringIO()
    call_command("schedule", SLUG, stdout=text)
    assert "  grant / 2026, " in text.getvalue()  # the grant's line, named as such


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"periods": ["2035"]}, "variations[0].periods[0]"),
        ({"amount": 5_000_000.5}, "variations[0].amount"),
        ({"amount": 0}, "variations[0].amount"),
        ({"periods": []}, "variations[0].periods"),
    ],
)
def test_a_switch_the_format_or_the_contract_refuses_is_named_by_its_path(
    manager, tmp_path, change, path
):
    with pytest.raises(CommandError) as refused:
        load(tmp_path, {**demo_definition(), "variations": [{**SWITCH, **change}]})
    assert path in str(refused.value)
    assert not Programme.objects.filter(slug=SLUG).exists()


def test_the_format_refuses_a_grant_amount_on_another_kind(manager, tmp_path):
    pause = {"kind": "pause", "effective_date": "2027-01-01", "reason": "Works", "amount": 1}
    with pytest.raises(CommandError) as refused:
        load(tmp_path, {**demo_definition(), "variations": [pause]})
    assert "variations[0].amount" in str(refused.value)
