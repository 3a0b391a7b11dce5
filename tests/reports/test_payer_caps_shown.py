"""A payer's cap is shown where its dues are read: portal pages, its notice and the API.

The demo deal with its payers split by cohort (tests.payments.test_payer_splits_end_to_end):
the département pays cohort 2026, the State every other cohort. The State's cap is
100 000 €, and cohort 2027 gives it two verified results:

    in work at 6 months 2027:  24 x 3 000 € =  72 000 €
    training 2027:             60 x   800 € =  48 000 €
                               priced in all   120 000 €

The cap is reached in the deal's date order; both results are of period 2027, so the tie
goes by metric code and the in-work line comes first: it is kept whole (72 000 €), the
training line up to 100 000 - 72 000 = 28 000 €, and the other 20 000 € are stopped: due
from no one, not moved to the département. So: cap 100 000 €, used 100 000 €, remaining
0 €, stopped 20 000 €, and the State owes 100 000 €.
"""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from payments.payer_caps import PayerCap, payer_caps
from payments.position import programme_position
from reports import document as doc
from reports.notices import notice_data
from reports.rendering.notice_labels import NOTICE_LABELS
from reports.selectors.state import chain_state
from reports.services import report_render
from sib import services as sib
from sib.models import Organisation, Programme, User
from sib.money import format_money
from tests.payments.test_payer_splits_end_to_end import SLUG, STATE, load, split_deal
from tests.reports.support import money, pdf_lines, value_after

pytestmark = pytest.mark.django_db

CAP, PRICED, STOPPED = 10_000_000, 12_000_000, 2_000_000
EXPECTED = PayerCap(payer=STATE, cap=CAP, used=CAP, remaining=0, stopped=STOPPED)

PAGE_WORDING = {
    "en": ("Payers' caps", "Stopped by the cap (owed by no one)"),
    "fr": ("Plafonds des payeurs", "Arrêté par le plafond (dû par personne)"),
}


def capped_deal() -> dict[str, Any]:
    document = split_deal()
    for party in document["parties"]:
        if party["organisation"] == STATE:
            party["payer_cap"] = CAP
    results = document["history"]["results"]
    training_2027 = results[-1]  # split_deal's cohort 2027 training result
    training_2027["value"] = "60"
    results.append(
        {
            **results[1],
            "cohort": "2027",
            "period": "2027",
            "value": "24",
            "note": "Cohort 2027, in work at six months.",
            "submitted_at": "2027-11-02T10:00:00+00:00",
            "verified_at": "2027-11-09T11:15:00+00:00",
        }
    )
    return document


@pytest.fixture
def programme(tmp_path) -> Programme:
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    User.objects.create_superuser("root", password="pw-123456789")
    load(tmp_path, capped_deal())
    return Programme.objects.get(slug=SLUG)


@pytest.fixture
def funder(programme: Programme) -> User:
    user = User.objects.create_user("state-funder")
    sib.membership_add(
        programme=programme,
        user=user,
        role="public_funder",
        organisation=Organisation.objects.get(slug=STATE),
    )
    return user


def _client(user: User, lang: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client


def _cap_row(page: str) -> str:
    return page.split(f'<tr data-payer-cap="{STATE}">', 1)[1].split("</tr>", 1)[0]


def _figure(row: str, name: str) -> str:
    return row.split(f'data-figure="{name}">', 1)[1].split("</td>", 1)[0]


def test_a_cap_of_100_000_on_dues_of_120_000_stops_20_000_owed_by_no_one(programme):
    """The worked example of the module docstring, read once for every reader."""
    assert payer_caps(programme=programme) == {STATE: EXPECTED}
    position = programme_position(programme=programme).payer(STATE)
    assert position.due == CAP == PRICED - STOPPED


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("who", ["manager", "funder"])
def test_the_payments_page_states_the_cap_its_use_what_remains_and_what_it_stopped(
    programme, funder, lang, who
):
    user = funder if who == "funder" else User.objects.get(username="root")
    page = (
        _client(user, lang)
        .get(reverse("payments_portal:outcome-payments", kwargs={"programme_id": programme.pk}))
        .content.decode()
    )
    title, stopped_header = PAGE_WORDING[lang]
    assert title in page and stopped_header in page
    row = _cap_row(page)
    expected = {"cap": CAP, "cap-used": CAP, "cap-remaining": 0, "cap-stopped": STOPPED}
    for name, amount in expected.items():
        assert _figure(row, name) == format_money(amount, "EUR", lang), name


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_parties_table_gives_the_payers_cap(programme, lang):
    page = (
        _client(User.objects.get(username="root"), lang)
        .get(reverse("portal:programme-home", kwargs={"programme_id": programme.pk}))
        .content.decode()
    )
    caps = [cell.split("</td>", 1)[0] for cell in page.split('data-figure="payer-cap">')[1:]]
    assert format_money(CAP, "EUR", lang) in caps
    assert ("no cap" if lang == "en" else "sans plafond") in caps


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_states_notice_prints_its_cap_used_remaining_and_stopped(programme, lang):
    state = Organisation.objects.get(slug=STATE)
    data = notice_data(
        programme=programme, payer=state, language=lang, state=chain_state(programme=programme)
    )
    assert data.cap == doc.NoticeCap(cap=CAP, used=CAP, remaining=0, stopped=STOPPED)
    assert [line.amount for line in data.lines] == [2_800_000, 7_200_000]  # training, in work
    lines = pdf_lines(
        report_render(programme=programme, edition="payer_notice", language=lang, payer=state)
    )
    words = NOTICE_LABELS[lang]
    assert words["notice_cap_title"] in lines
    assert value_after(lines, words["notice_cap"]) == money(CAP, lang)
    assert value_after(lines, words["notice_cap_used"]) == money(CAP, lang)
    assert value_after(lines, words["notice_cap_remaining"]) == money(0, lang)
    assert value_after(lines, words["notice_cap_stopped"]) == money(STOPPED, lang)


def test_a_payer_without_a_cap_has_no_cap_on_its_notice_or_in_the_api(programme):
    county = Organisation.objects.get(slug="departement-13")
    data = notice_data(
        programme=programme, payer=county, language="en", state=chain_state(programme=programme)
    )
    assert data.cap is None
    lines = pdf_lines(
        report_render(programme=programme, edition="payer_notice", language="en", payer=county)
    )
    assert NOTICE_LABELS["en"]["notice_cap_title"] not in lines


def test_the_page_the_notice_and_the_api_give_the_same_cap_figures(programme, funder):
    client = _client(funder, "en")
    answer = client.get(reverse("api:position", args=[programme.pk])).json()
    caps = {p["payer"]: p["cap"] for p in answer["payers"]}
    assert caps == {
        STATE: {"cap": CAP, "used": CAP, "remaining": 0, "stopped": STOPPED},
        "departement-13": None,
    }
    row = _cap_row(
        client.get(
            reverse("payments_portal:outcome-payments", kwargs={"programme_id": programme.pk})
        ).content.decode()
    )
    notice = notice_data(
        programme=programme,
        payer=Organisation.objects.get(slug=STATE),
        language="en",
        state=chain_state(programme=programme),
    ).cap
    assert notice is not None
    for key, name in (
        ("cap", "cap"),
        ("used", "cap-used"),
        ("remaining", "cap-remaining"),
        ("stopped", "cap-stopped"),
    ):
        amount = caps[STATE][key]
        assert getattr(notice, key) == amount
        assert _figure(row, name) == format_money(amount, "EUR", "en")


def test_the_payment_record_page_shows_the_same_caps_beside_the_positions(programme):
    page = (
        _client(User.objects.get(username="root"), "en")
        .get(reverse("payments_portal:payment-record", kwargs={"programme_id": programme.pk}))
        .content.decode()
    )
    row = _cap_row(page)
    assert _figure(row, "cap-stopped") == format_money(STOPPED, "EUR", "en")
    assert _figure(row, "cap-remaining") == format_money(0, "EUR", "en")
