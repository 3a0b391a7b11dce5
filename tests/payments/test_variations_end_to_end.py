"""A running deal brought in with its contract variations: `programme_load`, then
`schedule --json`, then `programme_dump` gives the same variations back.

Hand calculation (the demo's history, docs/programme-format.md "Example"): 62 entries into
training and 18 in work at 6 months, both counted for period 2026, so dated on its last
day, 31 December 2026. The price of training goes from 800 € to 1 000 € on 1 July 2026:
62 × 1 000 = 62 000 €, plus 18 × 3 000 = 54 000 €: 116 000 € due (without the
variation: 103 600 €). The pause (2027) and the cohort removed (2028) stop nothing yet.
"""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sib.chain_verification import chain_verify
from sib.demo import demo_definition
from sib.models import Programme, User

pytestmark = pytest.mark.django_db

SLUG = "jardins-solidaires"
VARIATIONS = [
    {
        "kind": "price_change",
        "effective_date": "2026-07-01",
        "metric": "training",
        "price": 100_000,
        "reason": "Price agreed at the mid-term review",
    },
    {"kind": "pause", "effective_date": "2027-01-01", "reason": "Site closed for works"},
    {"kind": "resume", "effective_date": "2027-03-01", "reason": "Works finished"},
    {
        "kind": "cohort_removed",
        "effective_date": "2028-01-01",
        "cohort": "2028",
        "reason": "Third cohort withdrawn by the payers",
    },
]


@pytest.fixture
def manager():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create_superuser("root", password="pw-123456789")


def load(tmp_path: Path, document: dict) -> str:
    path = tmp_path / "deal.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    out = StringIO()
    call_command("programme_load", str(path), manager="root", stdout=out)
    return out.getvalue()


def command_json(name: str, *args: str, **options: object) -> dict:
    out = StringIO()
    call_command(name, *args, stdout=out, **options)
    return json.loads(out.getvalue())


def test_a_varied_deal_loads_schedules_at_the_new_price_and_dumps_its_variations(manager, tmp_path):
    load(tmp_path, {**demo_definition(), "variations": VARIATIONS})
    document = command_json("schedule", SLUG, json=True)
    assert document["outcome_payments"]["metric_totals"]["training"] == 6_200_000
    assert document["outcome_payments"]["total"] == 11_600_000
    assert [(v["kind"], v["effective_date"]) for v in document["variations"]] == [
        (v["kind"], v["effective_date"]) for v in VARIATIONS
    ]
    programme = Programme.objects.get(slug=SLUG)
    assert chain_verify(programme_id=programme.pk).ok

    out = StringIO()
    call_command("programme_dump", SLUG, stdout=out)
    assert json.loads(out.getvalue())["variations"] == VARIATIONS


def test_a_variation_the_contract_refuses_is_named_by_its_path(manager, tmp_path):
    wrong = [dict(VARIATIONS[0], metric="no-such-metric"), dict(VARIATIONS[2])]
    with pytest.raises(CommandError) as refused:
        load(tmp_path, {**demo_definition(), "variations": wrong})
    assert "variations[0].metric" in str(refused.value)
    assert not Programme.objects.filter(slug=SLUG).exists()


def test_the_format_refuses_a_price_on_a_pause_and_variations_out_of_order(manager, tmp_path):
    wrong = [dict(VARIATIONS[1], price=1), dict(VARIATIONS[0])]
    with pytest.raises(CommandError) as refused:
        load(tmp_path, {**demo_definition(), "variations": wrong})
    assert "variations[0].price" in str(refused.value)
    assert "variations[1].effective_date" in str(refused.value)
