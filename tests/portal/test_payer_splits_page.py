"""The payer splits of a programme in the portal (issue 14): a fund manager sees them, and
edits them while the programme is a draft; once active they are fixed terms of the
contract, changed only by a variation.

The deal is the demo contract as a draft (the State 70 %, the département 30 %; cohorts
2026 to 2028; metrics training, in-work-6m, in-work-12m). Each refusal is the format's
own (docs/programme-format.md, `payer_shares`), said beside its field in the user's
language; the saved splits are what `programme_dump` gives back.
"""

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from payments.models import ContractVersion, PaymentTerms
from payments.payer_splits import splits_errors
from sib.demo import demo_definition
from sib.models import Organisation, Programme, Role, User
from sib.programme_format import programme_definition_load
from sib.services import membership_add, programme_activate

pytestmark = pytest.mark.django_db

STATE, COUNTY = "etat", "departement-13"


@pytest.fixture
def manager() -> User:
    return User.objects.create_user("manager")


@pytest.fixture
def programme(manager: User) -> Programme:
    document = demo_definition()
    document["programme"]["status"] = "draft"
    document.pop("memberships")
    document.pop("history")
    return programme_definition_load(document, creator=manager)


def _client(user: User, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def _url(programme: Programme) -> str:
    return reverse("payments_portal:payer-splits", args=[programme.pk])


def _rows(*rows: dict[str, str], initial: int = 0) -> dict[str, Any]:
    """The formset's POST: one row per split (cohorts, metrics, share_<payer>, DELETE)."""
    data: dict[str, Any] = {
        "split-TOTAL_FORMS": str(len(rows)),
        "split-INITIAL_FORMS": str(initial),
        "split-MIN_NUM_FORMS": "0",
        "split-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"split-{i}-{key}"] = value
    return data


def _dump(programme: Programme) -> dict[str, Any]:
    out = StringIO()
    call_command("programme_dump", programme.slug, stdout=out)
    return json.loads(out.getvalue())


def _county_pays_2026() -> dict[str, str]:
    return {"cohorts": "2026", f"share_{COUNTY}": "100"}


def test_a_manager_adds_a_split_which_programme_dump_reads_back_and_the_contract_chains(
    programme, manager
):
    versions = ContractVersion.objects.filter(programme=programme).count()
    row = {"cohorts": "2027, 2028", "metrics": "training", f"share_{COUNTY}": "40"}
    row[f"share_{STATE}"] = "le reste"
    done = _client(manager).post(_url(programme), _rows(_county_pays_2026(), row))
    assert done.status_code == 302
    assert _dump(programme)["payer_shares"] == [
        {"cohorts": ["2026"], "shares": [{"payer": COUNTY, "share": "100"}]},
        {
            "cohorts": ["2027", "2028"],
            "metrics": ["training"],
            "shares": [{"payer": COUNTY, "share": "40"}, {"payer": STATE, "share": "rest"}],
        },
    ]
    assert ContractVersion.objects.filter(programme=programme).count() == versions + 1


def test_a_manager_removes_a_split_and_the_page_shows_what_is_left(programme, manager):
    client = _client(manager)
    client.post(
        _url(programme),
        _rows(_county_pays_2026(), {"metrics": "training", f"share_{STATE}": "100"}),
    )
    removed = {**_county_pays_2026(), "DELETE": "on"}
    kept = {"metrics": "training", f"share_{STATE}": "100"}
    done = client.post(_url(programme), _rows(removed, kept, initial=2))
    assert done.status_code == 302
    assert _dump(programme)["payer_shares"] == [
        {"metrics": ["training"], "shares": [{"payer": STATE, "share": "100"}]}
    ]
    html = client.get(_url(programme)).content.decode()
    assert 'data-split="0"' in html and 'data-split="1"' not in html


def test_shares_not_summing_to_100_are_refused_at_the_split_in_english_and_french(
    programme, manager
):
    row = {"cohorts": "2026", f"share_{COUNTY}": "60", f"share_{STATE}": "39,9999"}
    english = _client(manager).post(_url(programme), _rows(row)).content.decode()
    assert (
        "the shares of departement-13 60, etat 39.9999 sum to 99.9999, not exactly 100 "
        "(cohorts 2026; metrics every metric)"
    ) in english
    french = _client(manager, "fr").post(_url(programme), _rows(row)).content.decode()
    assert "les parts de departement-13 60, etat 39.9999 font 99.9999 au total" in french
    assert "(cohortes 2026\u00a0; indicateurs tous les indicateurs)" in french
    assert PaymentTerms.objects.get(programme=programme).payer_splits in (None, [])


def test_a_share_finer_than_4_decimals_is_refused_beside_its_payer(programme, manager):
    row = {"cohorts": "2026", f"share_{COUNTY}": "33.33333", f"share_{STATE}": "66.66667"}
    page = _client(manager, "fr").post(_url(programme), _rows(row)).content.decode()
    field = page.split(f'name="split-0-share_{COUNTY}"')[0].rsplit('<div class="field">', 1)[1]
    assert "la part de &#x27;departement-13&#x27; (33.33333) a plus de 4 décimales" in field
    english = _client(manager).post(_url(programme), _rows(row)).content.decode()
    assert "has more than 4 decimal places, the precision the ledger keeps" in english


def test_a_cell_covered_by_two_splits_is_refused_naming_the_cell(programme, manager):
    rows = _rows(_county_pays_2026(), {"metrics": "training", f"share_{STATE}": "100"})
    english = _client(manager).post(_url(programme), rows).content.decode()
    assert (
        "cohort &#x27;2026&#x27;, metric &#x27;training&#x27; is already split by "
        "payer_shares[0]: one split per cohort and metric"
    ) in english
    french = _client(manager, "fr").post(_url(programme), rows).content.decode()
    assert "est déjà réparti par payer_shares[0]" in french


def test_an_unknown_cohort_or_metric_is_refused_at_its_field(programme, manager):
    row = {"cohorts": "2031", "metrics": "housing", f"share_{COUNTY}": "100"}
    english = _client(manager).post(_url(programme), _rows(row)).content.decode()
    assert "unknown cohort &#x27;2031&#x27;" in english
    assert "unknown metric &#x27;housing&#x27;" in english
    french = _client(manager, "fr").post(_url(programme), _rows(row)).content.decode()
    cohorts = french.split('name="split-0-cohorts"')[0].rsplit('<div class="field">', 1)[1]
    assert "cohorte inconnue &#x27;2031&#x27;" in cohorts
    assert "indicateur inconnu &#x27;housing&#x27;" in french


def test_an_unknown_payer_is_refused_in_the_users_language():
    data = [{"cohorts": ["2026"], "shares": [{"payer": "caf", "share": "100"}]}]
    with translation.override("fr"):
        errors = splits_errors(data, payers={STATE: True}, cohorts=["2026"], metrics=[])
    assert errors == [
        (
            "payer_shares[0].shares[0].payer",
            "'caf' n’est pas un tiers-payeur du programme",
        )
    ]


def test_a_share_that_is_not_a_percentage_is_refused_at_its_field(programme, manager):
    row = {"cohorts": "2026", f"share_{COUNTY}": "beaucoup"}
    page = _client(manager, "fr").post(_url(programme), _rows(row)).content.decode()
    assert "Saisissez un pourcentage, ou «\u00a0le reste\u00a0»." in page


def test_an_active_programme_shows_its_splits_read_only_and_points_to_variations(
    programme, manager
):
    _client(manager).post(_url(programme), _rows(_county_pays_2026()))
    programme_activate(programme=programme)
    client = _client(manager, "fr")
    html = client.get(_url(programme)).content.decode()
    assert 'data-split="0"' in html and "<form" not in html.split("<main")[-1].split("</main>")[0]
    assert "avenant" in html
    assert reverse("payments_portal:variations", args=[programme.pk]) in html
    refused = client.post(_url(programme), _rows({"metrics": "training", f"share_{STATE}": "100"}))
    assert refused.status_code == 302
    assert _dump(programme)["payer_shares"] == [
        {"cohorts": ["2026"], "shares": [{"payer": COUNTY, "share": "100"}]}
    ]


def test_only_the_programmes_fund_managers_see_the_page(programme, manager):
    evaluator = User.objects.create_user("eva")
    membership_add(
        programme=programme,
        user=evaluator,
        role=Role.EVALUATOR,
        organisation=Organisation.objects.get(slug="evalua"),
    )
    stranger = User.objects.create_user("stranger")
    assert _client(evaluator).get(_url(programme)).status_code == 403
    assert _client(stranger).get(_url(programme)).status_code == 404
    refused = _client(evaluator).post(_url(programme), _rows(_county_pays_2026()))
    assert refused.status_code == 403
    assert PaymentTerms.objects.get(programme=programme).payer_splits in (None, [])
    home = _client(manager).get(reverse("portal:programme-home", args=[programme.pk]))
    assert _url(programme) in home.content.decode()
