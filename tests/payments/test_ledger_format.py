"""The "tranches" section of the programme definition: round trip and errors by JSON path."""

import pytest

from payments.models import Commitment, Tranche
from sib.demo import demo_definition
from sib.models import User
from sib.programme_format import (
    DefinitionError,
    programme_definition_dump,
    programme_definition_load,
)

pytestmark = pytest.mark.django_db

DEMO_TRANCHES = [
    {
        "key": "senior",
        "name": "Senior loans",
        "kind": "senior_loan",
        "priority": 1,
        "cap": {"type": "annual_rate", "value": "0.05"},
        "commitments": [
            {"investor": "banque-solidaire", "amount": 60_000_000, "committed_on": "2026-01-01"},
            {"investor": "fondation-terre", "amount": 30_000_000, "committed_on": "2026-01-01"},
        ],
    },
    {
        "key": "junior",
        "name": "Junior loan",
        "kind": "subordinated_loan",
        "priority": 2,
        "cap": {"type": "annual_rate", "value": "0.08"},
        "commitments": [
            {"investor": "fonds-impact", "amount": 20_000_000, "committed_on": "2026-01-01"},
        ],
    },
    {
        "key": "first-loss",
        "name": "Senior guarantee",
        "kind": "guarantee",
        "priority": 3,
        "cap": None,
        "guarantee": {"protects": "senior", "cover_limit": 15_000_000},
        "commitments": [
            {"investor": "fondation-garantie", "amount": 15_000_000, "committed_on": "2026-01-01"},
        ],
    },
]


@pytest.fixture
def creator():
    return User.objects.create_superuser("root", password="pw-123456789")


def _demo_envelope() -> dict:
    # The demo's parties alone: its own tranches, waterfall and history refer to each other.
    keep = ("format", "version", "organisations", "programme", "parties")
    return {key: value for key, value in demo_definition().items() if key in keep}


def test_tranches_load_and_dump_back_to_themselves(creator):
    document = {**_demo_envelope(), "tranches": DEMO_TRANCHES}
    programme = programme_definition_load(document, creator=creator)
    assert Tranche.objects.get(programme=programme, key="first-loss").protects.key == "senior"
    assert Commitment.objects.filter(programme=programme).count() == 4
    assert programme_definition_dump(programme)["tranches"] == DEMO_TRANCHES


def test_tranche_errors_name_their_json_path_and_nothing_is_written(creator):
    tranches = [dict(t, commitments=[dict(c) for c in t["commitments"]]) for t in DEMO_TRANCHES]
    tranches[0]["cap"] = {"type": "annual_rate", "value": 0.05}
    tranches[1]["priority"] = 1
    tranches[1]["commitments"][0]["amount"] = "20000000"
    tranches[2]["guarantee"] = {"protects": "nowhere", "cover_limit": 0}
    tranches[2]["commitments"][0]["investor"] = "etat"
    with pytest.raises(DefinitionError) as error:
        programme_definition_load({**_demo_envelope(), "tranches": tranches}, creator=creator)
    errors = dict(error.value.errors)
    assert set(errors) >= {
        "tranches[0].cap.value",
        "tranches[1].priority",
        "tranches[1].commitments[0].amount",
        "tranches[2].guarantee.protects",
        "tranches[2].guarantee.cover_limit",
        "tranches[2].commitments[0].investor",
    }
    assert not Tranche.objects.exists()
