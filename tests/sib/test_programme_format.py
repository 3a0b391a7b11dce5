"""The programme definition JSON: round trip, and errors that name their JSON path."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from sib.demo import demo_definition
from sib.models import Programme, User
from sib.programme_format import (
    DefinitionError,
    programme_definition_dump,
    programme_definition_load,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator():
    # The demo's history names the evaluator who submitted its results and the lead who
    # verified them; they are users of the system before a definition can name them.
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create_superuser("root", password="pw-123456789")


def test_demo_definition_loads_and_dumps_back_to_itself(creator):
    document = demo_definition()
    programme = programme_definition_load(document, creator=creator)
    assert programme.status == "active"
    dumped = programme_definition_dump(programme)
    assert dumped["programme"] == document["programme"]
    assert sorted(dumped["parties"], key=json.dumps) == sorted(document["parties"], key=json.dumps)
    assert {o["slug"] for o in dumped["organisations"]} == {
        o["slug"] for o in document["organisations"]
    }
    for section in ("cohorts", "periods", "metrics", "tranches", "waterfall", "payment_terms"):
        assert dumped[section] == document[section], section
    assert dumped["history"] == document["history"]


def _errors(document, creator):
    # English, as programme_load answers; the messages follow the active language.
    with translation.override("en"), pytest.raises(DefinitionError) as error:
        programme_definition_load(document, creator=creator)
    return dict(error.value.errors)


def test_errors_name_the_json_path_and_nothing_is_written(creator):
    document = demo_definition()
    document["parties"][1]["payer_share"] = "31"
    document["organisations"][2]["kinds"] = ["banker"]
    document["programme"]["end_date"] = "2025-13-01"
    document["surprise"] = {}
    errors = _errors(document, creator)
    assert errors["parties"].startswith("outcome payers' shares must sum to exactly 100")
    assert errors["organisations[2].kinds[0]"] == (
        "must be one of outcome_payer, investor, service_provider, evaluator, intermediary"
    )
    assert errors["programme.end_date"] == "must be a date written YYYY-MM-DD"
    assert errors["surprise"] == "unknown section"
    assert not Programme.objects.exists()


def test_format_and_version_are_checked(creator):
    errors = _errors({"format": "other", "version": 9}, creator)
    assert set(errors) == {"format", "version", "programme"}


def test_payer_share_must_be_a_decimal_string_not_a_float(creator):
    document = demo_definition()
    document["parties"][0]["payer_share"] = 70.0
    assert "parties[0].payer_share" in _errors(document, creator)


def test_loading_a_slug_twice_is_refused(creator):
    programme_definition_load(demo_definition(), creator=creator)
    errors = _errors(demo_definition(), creator)
    assert errors["programme.slug"] == "a programme 'jardins-solidaires' already exists"
    with translation.override("fr"), pytest.raises(DefinitionError) as error:
        programme_definition_load(demo_definition(), creator=creator)
    message = dict(error.value.errors)["programme.slug"]
    assert message == "le programme 'jardins-solidaires' existe déjà"


def test_programme_load_command_reports_every_error(tmp_path, creator):
    path = tmp_path / "deal.json"
    document = demo_definition()
    document["programme"]["currency"] = "FRF"
    path.write_text(json.dumps(document))
    with pytest.raises(CommandError, match=r"programme\.currency: 'FRF' is not a currency in use"):
        call_command("programme_load", str(path))


def test_programme_dump_command_prints_the_definition(capsys, creator):
    programme_definition_load(demo_definition(), creator=creator)
    call_command("programme_dump", "jardins-solidaires")
    assert json.loads(capsys.readouterr().out)["programme"]["slug"] == "jardins-solidaires"


def test_seed_demo_is_idempotent():
    from sib.demo import demo_seed

    assert demo_seed()["programmes_created"] == 1
    assert demo_seed() == {"users_created": 0, "programmes_created": 0}
    assert Programme.objects.filter(slug="jardins-solidaires").count() == 1
