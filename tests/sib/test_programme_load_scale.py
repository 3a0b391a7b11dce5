"""Loading real deals at scale: the defects issue 15 met on real records, each refused
with its JSON path and the rule, never a traceback nor a silent rounding."""

import pytest
from django.utils import translation

from sib import services
from sib.demo import demo_definition
from sib.models import Programme, ProgrammeParty, User
from sib.programme_format import DefinitionError, programme_definition_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create_superuser("root", password="pw-123456789")


def _errors(document, creator) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with translation.override("en"), pytest.raises(DefinitionError) as error:
        programme_definition_load(document, creator=creator)
    assert not Programme.objects.exists()
    return dict(error.value.errors)


@pytest.mark.parametrize(
    ("section", "index", "path"),
    [
        ("programme", None, "programme.name"),
        ("organisations", 0, "organisations[0].name"),
        ("metrics", 2, "metrics[2].name"),
        ("cohorts", 1, "cohorts[1].name"),
        ("periods", 3, "periods[3].name"),
        ("tranches", 0, "tranches[0].name"),
    ],
)
def test_a_name_over_its_column_is_refused_with_its_json_path(creator, section, index, path):
    document = demo_definition()
    target = document[section] if index is None else document[section][index]
    target["name"] = "x" * 201
    errors = _errors(document, creator)
    assert errors[path].startswith("Too long: at most 200 characters")


def test_the_shares_precision_is_the_columns_so_validator_and_database_agree():
    field = ProgrammeParty._meta.get_field("payer_share")
    assert field.decimal_places == services.PAYER_SHARE_PLACES


def test_a_share_finer_than_stored_is_refused_naming_the_party(creator):
    # Rounded by the column, 70.000029 + 29.999971 became 70 + 30: a document that does
    # not sum to what it says loaded without a word.
    document = demo_definition()
    document["parties"][0]["payer_share"] = "70.000029"
    document["parties"][1]["payer_share"] = "29.999971"
    errors = _errors(document, creator)
    assert "'etat'" in errors["parties[0].payer_share"]
    assert "more than 4 decimal places" in errors["parties[0].payer_share"]
    assert "'departement-13'" in errors["parties[1].payer_share"]


def test_a_tiny_share_is_refused_naming_the_party_not_an_integrity_error(creator):
    document = demo_definition()
    document["parties"][0]["payer_share"] = "99.99999"
    document["parties"][1]["payer_share"] = "0.00001"
    errors = _errors(document, creator)
    assert "'departement-13'" in errors["parties[1].payer_share"]


def test_shares_at_the_stored_precision_load_exactly(creator):
    document = demo_definition()
    document["parties"][0]["payer_share"] = "66.6667"
    document["parties"][1]["payer_share"] = "33.3333"
    programme = programme_definition_load(document, creator=creator)
    shares = sorted(p.payer_share for p in programme.parties.filter(role="outcome_payer"))
    assert [str(s) for s in shares] == ["33.3333", "66.6667"]


def test_the_service_refuses_a_share_finer_than_stored_too(creator):
    from decimal import Decimal

    from django.core.exceptions import ValidationError

    document = demo_definition()
    document["programme"]["status"] = "draft"
    del document["history"]
    document["parties"] = [p for p in document["parties"] if p["role"] != "outcome_payer"]
    programme = programme_definition_load(document, creator=creator)
    etat = services.Organisation.objects.get(slug="etat")
    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.programme_party_add(
            programme=programme,
            organisation=etat,
            role="outcome_payer",
            payer_share=Decimal("0.00001"),
        )
    assert "more than 4 decimal places" in error.value.message_dict["payer_share"][0]


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("history", "results", 0, "value"), "62.1234567"),
        (("metrics", 0, "target_value"), "30.1234567"),
        (("tranches", 0, "cap", "value"), "0.0512345"),
    ],
)
def test_a_value_beyond_the_stored_decimals_is_refused_not_rounded(creator, where, value):
    document = demo_definition()
    target = document
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    errors = _errors(document, creator)
    path = ".".join(str(s) for s in where).replace(".0", "[0]")
    assert "more than 6 decimal places" in errors[path]


def test_a_fractional_result_on_a_per_outcome_metric_is_refused_at_load(creator):
    document = demo_definition()
    document["history"]["results"][0]["value"] = "62.5"
    errors = _errors(document, creator)
    assert "62.5 is not a whole number" in errors["history.results[0].value"]


def test_a_period_1990_to_2050_in_a_2026_2030_deal_is_refused(creator):
    document = demo_definition()
    document["periods"][0]["start_date"] = "1990-01-01"
    document["periods"][0]["end_date"] = "2050-12-31"
    errors = _errors(document, creator)
    assert "outside the contract (2026-01-01 to 2030-12-31)" in errors["periods[0].start_date"]
    assert "outside the contract" in errors["periods[0].end_date"]


def test_a_cohort_starting_before_the_contract_is_refused(creator):
    document = demo_definition()
    document["cohorts"][0]["start_date"] = "2009-01-05"
    errors = _errors(document, creator)
    assert "outside the contract" in errors["cohorts[0].start_date"]


@pytest.mark.parametrize("name", ["", "   "])
def test_a_blank_programme_name_is_refused_at_programme_name(creator, name):
    # The model's own refusal used to come back as "name", without its section.
    document = demo_definition()
    document["programme"]["name"] = name
    errors = _errors(document, creator)
    assert set(errors) == {"programme.name"}


def test_a_slug_that_is_not_a_slug_is_refused_at_its_path(creator):
    document = demo_definition()
    document["programme"]["slug"] = "jardins solidaires/2026"
    errors = _errors(document, creator)
    assert set(errors) == {"programme.slug"}
    assert "letters, digits, hyphens" in errors["programme.slug"]


@pytest.mark.parametrize(
    ("section", "index", "key", "path"),
    [
        ("organisations", 0, "slug", "organisations[0].slug"),
        ("metrics", 0, "code", "metrics[0].code"),
        ("cohorts", 0, "code", "cohorts[0].code"),
        ("periods", 0, "code", "periods[0].code"),
        ("tranches", 0, "key", "tranches[0].key"),
    ],
)
def test_a_code_with_a_space_is_refused_at_its_path(creator, section, index, key, path):
    # A metric "in work" loaded: its column is a slug, but nothing checked the value.
    document = demo_definition()
    document[section][index][key] = "in work"
    errors = _errors(document, creator)
    assert "letters, digits, hyphens" in errors[path], errors


def test_a_refusal_from_a_service_while_loading_names_its_section():
    from django.core.exceptions import ValidationError

    from sib.programme_format import section_paths

    error = ValidationError({"name": ["This field cannot be blank."], "__all__": ["Refused."]})
    assert section_paths(error, "programme") == [
        ("programme.name", "This field cannot be blank."),
        ("programme", "Refused."),
    ]
    history = ValidationError({"history.drawdowns[0]": ["Refused."]})
    assert section_paths(history, "history") == [("history.drawdowns[0]", "Refused.")]


def test_the_refusals_are_translated(creator):
    document = demo_definition()
    document["programme"]["slug"] = "jardins solidaires"
    document["periods"][0]["start_date"] = "1990-01-01"
    document["parties"][1]["payer_share"] = "29.99999"
    with translation.override("fr"), pytest.raises(DefinitionError) as error:
        programme_definition_load(document, creator=creator)
    errors = dict(error.value.errors)
    assert "n’est pas un code" in errors["programme.slug"]
    assert "est hors du contrat" in errors["periods[0].start_date"]
    assert "a plus de 4 décimales" in errors["parties[1].payer_share"]
