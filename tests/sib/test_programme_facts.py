"""The programme's descriptive facts (the `facts` section of docs/programme-format.md):
kept through programme_dump, checked by the schema before every write, shown on the
programme home page in the user's language, each investor's terms to managers only."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from sib.facts import programme_facts, programme_facts_set
from sib.models import Organisation, User
from sib.programme_format import programme_definition_dump, programme_definition_load

pytestmark = pytest.mark.django_db

FACTS = {
    "country": "FR",
    "locations": [{"name": "Marseille", "country": "FR"}],
    "policy_sector": "Employment and training",
    "sources": [{"name": "Ministère du Travail", "url": "https://example.org/cis"}],
    "documents": [{"title": "Contrat à impact social", "url": "https://example.org/cis.pdf"}],
    "dates": {"outcomes_contract_signed": "2025-12-15", "service_start": "2026-01",
              "completion_anticipated": "2031-06-30"},
    "outcome_funds": ["Fonds CIS"],
    "organisation_roles": [
        {"organisation": "etat", "role": "outcome_payer",
         "category": "Government/Public Sector/Public Bank"},
        {"organisation": "impact-partenaires", "role": "intermediary", "function": "Capital raise"},
        {"organisation": "impact-partenaires", "role": "intermediary",
         "function": "Performance management"},
    ],
    "service_contracts": [{"provider": "jardins-asso", "intervention": "Market gardening",
                           "planned_start": "2026-01", "actual_start": "2026-02-02"}],
    "beneficiaries": {"targeted": 300, "engaged": 212, "unit": "Individual"},
    "investment_total": {"min": 100000000, "max": 120000000},
    "investor_terms": [{"investor": "banque-solidaire", "commitment": {"exact": 60000000},
                        "maximum_return": "5", "maximum_return_type": "Average annual return"}],
    "maximum_loss": "100%",
    "target_irr": "0.05",
}  # fmt: skip


@pytest.fixture
def manager():
    return User.objects.create_superuser("root", password="pw-123456789")


def _document():
    organisations = [
        ("etat", "État", "outcome_payer"),
        ("impact-partenaires", "Impact Partenaires", "intermediary"),
        ("jardins-asso", "Jardins solidaires (association)", "service_provider"),
        ("banque-solidaire", "Banque solidaire", "investor"),
    ]
    return {
        "format": "sib-programme",
        "version": 1,
        "organisations": [{"slug": s, "name": n, "kinds": [k]} for s, n, k in organisations],
        "programme": {"name": "Jardins", "slug": "jardins", "currency": "EUR",
                      "start_date": "2026-01-01", "end_date": "2030-12-31",
                      "contract_cap": 150000000},
        "parties": [{"organisation": "banque-solidaire", "role": "investor"}],
        "facts": FACTS,
    }  # fmt: skip


def test_facts_load_and_dump_back_with_the_organisations_they_name(manager):
    programme = programme_definition_load(_document(), creator=manager)
    dumped = programme_definition_dump(programme)
    assert dumped["facts"] == FACTS
    # Named only by the facts (the payer has no share yet), still dumped: the dump loads.
    assert {o["slug"] for o in dumped["organisations"]} == {
        "etat", "impact-partenaires", "jardins-asso", "banque-solidaire",
    }  # fmt: skip


def test_a_programme_without_facts_dumps_no_facts_section(manager):
    document = _document()
    del document["facts"]
    programme = programme_definition_load(document, creator=manager)
    assert "facts" not in programme_definition_dump(programme)


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"country": "France"}, "facts.country",
         "must be a two-letter ISO 3166 country code, such as FR or GB"),
        ({"target_irr": 0.05}, "facts.target_irr",
         'must be a decimal string, such as "0.05", not a JSON number with a fraction'),
        ({"dates": {"service_start": "2026-1"}}, "facts.dates.service_start",
         "must be a date written YYYY, YYYY-MM or YYYY-MM-DD"),
        ({"documents": [{"url": "ftp://example.org/x"}]}, "facts.documents[0].url",
         "must be a web address starting with http:// or https://"),
        ({"colour": "green"}, "facts.colour", "unknown field"),
        ({"investor_terms": [{"investor": "nobody"}]}, "facts.investor_terms[0].investor",
         "unknown organisation 'nobody'"),
    ],
)  # fmt: skip
def test_facts_that_break_the_schema_are_refused_with_their_path(manager, change, path, message):
    document = _document()
    del document["facts"]
    programme = programme_definition_load(document, creator=manager)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        programme_facts_set(programme=programme, facts={**FACTS, **change})
    assert error.value.message_dict == {path: [message]}
    assert programme_facts(programme=programme) == {}


def _home(programme, user, language):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    url = reverse("portal:programme-home", kwargs={"programme_id": programme.pk})
    return client.get(url).content.decode()


def test_home_page_shows_the_facts_in_english_and_french(manager):
    programme = programme_definition_load(_document(), creator=manager)
    english = _home(programme, manager, "en")
    assert "Facts about the deal" in english
    assert "France (FR)" in english
    assert "Target IRR</dt><dd>5 %" in english
    assert (
        "<strong>Impact Partenaires</strong>: Intermediary (Capital raise), "
        "Intermediary (Performance management)" in english
    )
    assert 'Service started</dt><dd><time datetime="2026-01">2026-01</time>' in english
    assert 'href="https://example.org/cis.pdf"' in english
    french = _home(programme, manager, "fr")
    assert "Faits sur le contrat" in french
    assert "TRI visé</dt><dd>5 %" in french
    assert "Structure intermédiaire (Capital raise)" in french


def test_an_investor_sees_no_investors_terms(manager):
    programme = programme_definition_load(_document(), creator=manager)
    investor = User.objects.create_user("inv", password="pw-123456789")
    from sib import services

    services.membership_add(
        programme=programme, user=investor, role="investor",
        organisation=Organisation.objects.get(slug="banque-solidaire"),
    )  # fmt: skip
    assert "Investors' terms" in _home(programme, manager, "en")
    html = _home(programme, investor, "en")
    assert "Facts about the deal" in html
    assert "Investors' terms" not in html
