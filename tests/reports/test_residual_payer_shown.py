"""The payer of the rest is shown as such where shares are read (issue 15): the parties
table, the activation review, the payer's notice and the public report.

The deal (tests.payments.test_residual_payer_end_to_end), programme-wide: the département
pays 40 % capped at 30 000 €, the State "the rest". In the deal's order:
    in work at 6 months 2026: 54 000 €: département 21 600 €, State 32 400 €;
    training 2026: 49 600 €: département 19 840 €, of which its cap lets 8 400 €; the
        State 29 760 + 11 440 = 41 200 €;
    training 2027: 40 000 €: département 16 000 €, all past its cap; the State 24 000 +
        16 000 = 40 000 €.
The département owes 30 000 € (its cap, nothing stopped: it fell to the State), the
State 113 600 €.
"""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from payments.payer_splits import splits_errors
from payments.position import programme_position
from reports.notices import notice_data
from reports.rendering.notice_labels import NOTICE_LABELS
from reports.selectors.state import chain_state
from reports.services import report_render
from sib.models import Organisation, Programme, User
from tests.payments.test_residual_payer_end_to_end import (
    COUNTY,
    COUNTY_DUE,
    SLUG,
    STATE,
    STATE_DUE,
    load,
    residual_deal,
)
from tests.reports.support import pdf_text

pytestmark = pytest.mark.django_db

REST = {"en": "the rest", "fr": "le reste"}


def programme_wide_deal() -> dict[str, Any]:
    document = residual_deal()
    del document["payer_shares"]
    for party in document["parties"]:
        if party["organisation"] == COUNTY:
            party["payer_share"] = "40"
    return document


@pytest.fixture
def manager():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create_superuser("root", password="pw-123456789")


@pytest.fixture
def programme(manager, tmp_path):
    load(tmp_path, programme_wide_deal())
    return Programme.objects.get(slug=SLUG)


def client(user: User, lang: str) -> Client:
    c = Client()
    c.force_login(user)
    c.cookies["django_language"] = lang
    return c


def test_a_programme_wide_payer_of_the_rest_owes_what_the_countys_cap_stops(programme):
    position = {p.payer: p.due for p in programme_position(programme=programme).payers}
    assert position == {STATE: STATE_DUE, COUNTY: COUNTY_DUE}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_parties_table_says_the_state_pays_the_rest(programme, manager, lang):
    page = (
        client(manager, lang)
        .get(reverse("portal:programme-home", kwargs={"programme_id": programme.pk}))
        .content.decode()
    )
    state = Organisation.objects.get(slug=STATE).name
    row = page.split(f'<th scope="row">{state}</th>', 1)[1].split("</tr>", 1)[0]
    assert f'<td class="num">{REST[lang]}</td>' in row, row


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_activation_review_adds_the_rest_to_the_fixed_shares(manager, tmp_path, lang):
    """A draft: 40 % fixed + the rest. No warning: below 100 % is what a payer of the
    rest needs; the programme then activates."""
    document = programme_wide_deal()
    del document["history"], document["memberships"]
    document["programme"]["status"] = "draft"
    load(tmp_path, document)
    programme = Programme.objects.get(slug=SLUG)
    url = reverse("portal:programme-activation", kwargs={"programme_id": programme.pk})
    page = client(manager, lang).get(url).content.decode()
    total = page.split('id="share-total">', 1)[1].split("</td>", 1)[0]
    assert total.endswith(f"+ {REST[lang]}") and total.startswith("40")
    assert 'class="warning"' not in page
    client(manager, lang).post(url)
    programme.refresh_from_db()
    assert programme.status == "active"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_states_notice_gives_its_share_as_the_rest(programme, lang):
    state = Organisation.objects.get(slug=STATE)
    data = notice_data(
        programme=programme, payer=state, language=lang, state=chain_state(programme=programme)
    )
    assert data.payer_pays_rest and data.payer_share_bp is None
    assert sum(line.amount for line in data.lines) == STATE_DUE
    text = " ".join(
        pdf_text(
            report_render(programme=programme, edition="payer_notice", language=lang, payer=state)
        ).split()
    )
    assert f"{NOTICE_LABELS[lang]['notice_share']} {REST[lang]}" in text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_countys_notice_says_what_its_cap_stops_falls_to_the_state(programme, lang):
    county = Organisation.objects.get(slug=COUNTY)
    state = Organisation.objects.get(slug=STATE).name
    data = notice_data(
        programme=programme, payer=county, language=lang, state=chain_state(programme=programme)
    )
    assert data.rest_payer == state
    assert data.cap is not None and data.cap.stopped == 0 and data.cap.used == COUNTY_DUE
    text = " ".join(
        pdf_text(
            report_render(programme=programme, edition="payer_notice", language=lang, payer=county)
        ).split()
    )
    sentence = NOTICE_LABELS[lang]["notice_cap_rest"].format(payer=state)
    assert " ".join(sentence.split()) in text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_public_report_names_the_payer_of_the_rest(programme, lang):
    text = " ".join(
        pdf_text(report_render(programme=programme, edition="public", language=lang)).split()
    )
    state = Organisation.objects.get(slug=STATE).name
    assert f"{state} ({REST[lang]})" in text


def test_a_split_refusal_names_the_cell_and_payers_in_french():
    shares = [{"payer": COUNTY, "share": "rest"}, {"payer": STATE, "share": "rest"}]
    data = [{"cohorts": ["2026"], "shares": shares}]
    with translation.override("fr"):
        errors = splits_errors(
            data, payers={COUNTY: True, STATE: True}, cohorts=["2026"], metrics=["training"]
        )
    assert errors == [
        (
            "payer_shares[0].shares",
            f"nomme plus d’un payeur du reste ({COUNTY}, {STATE})\u00a0: un seul payeur au plus "
            "par case paie le reste (cohortes 2026\u00a0; indicateurs tous les indicateurs)",
        )
    ]


@pytest.mark.parametrize("lang, words", [("en", "falls to"), ("fr", "revient à")])
def test_the_payments_page_says_what_the_countys_cap_stops_falls_to_the_state(
    programme, manager, lang, words
):
    page = (
        client(manager, lang)
        .get(reverse("payments_portal:outcome-payments", kwargs={"programme_id": programme.pk}))
        .content.decode()
    )
    state = Organisation.objects.get(slug=STATE).name
    sentence = page.split("<p data-rest-payer>", 1)[1].split("</p>", 1)[0]
    assert words in sentence and state in sentence
