"""Contract variations from the portal: the list, the form, the figures first, then record.

The Jardins deal (tests.payments.schedule_support.jardins): training 800 €, the State
70 %, the département 30 %. Five people trained in May 2026 and three in August:
8 x 800 = 6 400 €, the State 4 480 €, the département 1 920 €. The price becomes 1 000 €
from 1 July 2026: 5 x 800 + 3 x 1 000 = 7 000 €, the State 4 900 € (+420 €), the
département 2 100 € (+180 €).
"""

import pytest
from django.test import Client
from django.urls import reverse

from payments.models import LedgerTransaction, Leg, ProgrammeVariation
from payments.position import programme_position
from payments.variations import CHAIN_KIND
from sib.chain_verification import chain_verify
from sib.models import ChainEntry, Membership, Programme, User
from sib.outbox import OutboxMessage
from tests.payments.schedule_support import D, Deal, jardins, org

pytestmark = pytest.mark.django_db

PRICE_CHANGE = {
    "kind": "price_change",
    "effective_date": "2026-07-01",
    "reason": "Agreed at the mid-term review",
    "metric": "training",
    "price": "1000",
}


@pytest.fixture
def deal() -> Deal:
    deal = jardins()
    deal.participants("training", "c1", "2026", [(f"m{i}", D(2026, 5, 10)) for i in range(5)])
    deal.participants("training", "c2", "2026", [(f"a{i}", D(2026, 8, 10)) for i in range(3)])
    return deal


def _client(user: User | None, language: str = "en") -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    client.cookies["django_language"] = language
    return client


def _url(programme: Programme) -> str:
    return reverse("payments_portal:variations", args=[programme.pk])


def _member(deal: Deal, role: str) -> User:
    user = User.objects.create(username=f"{deal.programme.slug}-{role}")
    organisation = {
        "public_funder": org("etat", "outcome_payer"),
        "investor": org("banque-solidaire", "investor"),
    }[role]
    Membership.objects.create(
        user=user, programme=deal.programme, role=role, organisation=organisation
    )
    return user


def _dues(deal: Deal) -> dict[str, int]:
    return {p.payer: p.due for p in programme_position(programme=deal.programme).payers}


def _counts(programme: Programme) -> dict[str, int]:
    return {
        "ledger transactions": LedgerTransaction.objects.filter(programme=programme).count(),
        "legs": Leg.objects.filter(transaction__programme=programme).count(),
        "chain entries": ChainEntry.objects.filter(programme=programme).count(),
        "variations": ProgrammeVariation.objects.filter(programme=programme).count(),
        "outbox messages": OutboxMessage.objects.count(),
    }


def test_the_review_shows_each_payers_due_now_and_once_varied_and_writes_nothing(deal):
    before = _counts(deal.programme)
    page = _client(deal.manager).post(_url(deal.programme), PRICE_CHANGE)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-payer="etat" data-due-after="490000"' in html
    assert 'data-payer="departement-13" data-due-after="210000"' in html
    assert 'name="confirm"' in html
    assert _counts(deal.programme) == before
    assert _dues(deal) == {"etat": 448_000, "departement-13": 192_000}


def test_the_confirmed_variation_is_recorded_chained_and_restates_the_dues(deal):
    done = _client(deal.manager).post(_url(deal.programme), {**PRICE_CHANGE, "confirm": "1"})
    assert done.status_code == 302
    variation = ProgrammeVariation.objects.get(programme=deal.programme)
    assert (variation.kind, variation.parameters) == (
        "price_change",
        {"metric": "training", "price": 100_000},
    )
    assert variation.actor == deal.manager
    assert ChainEntry.objects.filter(kind=CHAIN_KIND, object_id=str(variation.pk)).exists()
    assert chain_verify(programme_id=deal.programme.pk).ok
    # The review's "due once varied" is what the ledger now books.
    assert _dues(deal) == {"etat": 490_000, "departement-13": 210_000}
    listed = _client(deal.manager).get(_url(deal.programme)).content.decode()
    assert f'data-variation="{variation.pk}" data-kind="price_change"' in listed
    assert "training: price €1,000.00" in listed


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_metric_without_a_price_is_refused_at_its_field_translated_and_nothing_written(
    deal, language
):
    deal.metric("assessments", {"kind": "tracked"})
    before = _counts(deal.programme)
    page = _client(deal.manager, language).post(
        _url(deal.programme), {**PRICE_CHANGE, "metric": "assessments", "confirm": "1"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    message = {
        "en": "Only a rate-card metric's price can be changed.",
        "fr": "Seul le prix d’un indicateur à la grille tarifaire peut être modifié.",
    }[language]
    assert page.context["form"].errors == {"metric": [message]}
    assert "data-preview" not in html
    assert _counts(deal.programme) == before


def test_a_price_change_without_a_price_is_refused_at_the_price_field(deal):
    page = _client(deal.manager).post(_url(deal.programme), {**PRICE_CHANGE, "price": ""})
    assert page.status_code == 200
    assert page.context["form"].errors == {"price": ["Required for this kind of variation."]}
    assert not ProgrammeVariation.objects.exists()


def test_a_date_before_the_programme_is_refused_at_the_date_field(deal):
    page = _client(deal.manager).post(
        _url(deal.programme), {**PRICE_CHANGE, "effective_date": "2020-01-01"}
    )
    assert page.status_code == 200
    assert list(page.context["form"].errors) == ["effective_date"]


def test_each_kind_of_the_table_is_offered_and_a_pause_records_with_no_parameter(deal):
    page = _client(deal.manager).get(_url(deal.programme)).content.decode()
    for kind in (
        "price_change",
        "pause",
        "resume",
        "cohort_removed",
        "grant_payments",
        "early_redemption",
    ):
        assert f'<option value="{kind}"' in page
    done = _client(deal.manager).post(
        _url(deal.programme),
        {**PRICE_CHANGE, "kind": "pause", "metric": "training", "confirm": "1"},
    )
    assert done.status_code == 302
    # The pause takes no parameter: the metric typed for another kind is not sent.
    assert ProgrammeVariation.objects.get(programme=deal.programme).parameters == {}


def test_a_period_switched_to_a_grant_is_recorded_from_the_form(deal):
    """2026 switched to a 10 000 € grant from 1 January 2027: its eight outcomes (6 400 €)
    pay nothing and the payers owe the grant, 7 000 € the State and 3 000 € the département."""
    grant = {
        "kind": "grant_payments",
        "effective_date": "2026-12-01",
        "reason": "Fixed grant while the sites are closed",
        "periods": ["2026"],
        "amount": "10000",
    }
    missing = _client(deal.manager).post(_url(deal.programme), {**grant, "periods": []})
    assert "Required for this kind of variation." in missing.content.decode()
    done = _client(deal.manager).post(_url(deal.programme), {**grant, "confirm": "1"})
    assert done.status_code == 302
    recorded = ProgrammeVariation.objects.get(programme=deal.programme)
    assert recorded.parameters == {"periods": ["2026"], "amount": 1_000_000}
    position = programme_position(programme=deal.programme)
    assert (position.payer("etat").due, position.payer("departement-13").due) == (
        700_000,
        300_000,
    )
    listed = _client(deal.manager).get(_url(deal.programme)).content.decode()
    assert "a grant of" in listed


@pytest.mark.parametrize("role", ["evaluator", "lead_evaluator", "investor"])
@pytest.mark.parametrize("confirm", [False, True])
def test_who_sees_no_payments_may_neither_read_nor_record(deal, role, confirm):
    if role == "evaluator":
        user = deal.evaluator
    elif role == "lead_evaluator":
        user = deal.lead
    else:
        user = _member(deal, role)
    fields = {**PRICE_CHANGE, "confirm": "1"} if confirm else PRICE_CHANGE
    assert _client(user).get(_url(deal.programme)).status_code == 403
    assert _client(user).post(_url(deal.programme), fields).status_code == 403
    assert not ProgrammeVariation.objects.exists()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_public_funder_reads_the_variations_and_is_offered_no_form(deal, language):
    """A variation changes what the payer owes: its funder reads it, the fund manager
    alone records it (sib.permissions.VARIATION_VIEW and VARIATION_RECORD)."""
    _client(deal.manager).post(_url(deal.programme), {**PRICE_CHANGE, "confirm": "1"})
    variation = ProgrammeVariation.objects.get(programme=deal.programme)
    funder = _member(deal, "public_funder")
    page = _client(funder, language).get(_url(deal.programme))
    assert page.status_code == 200
    listed = page.content.decode()
    assert f'data-variation="{variation.pk}" data-kind="price_change"' in listed
    assert "Agreed at the mid-term review" in listed
    assert 'name="reason"' not in listed
    assert 'name="effective_date"' not in listed
    said = {
        "en": "The fund manager records the variations",
        "fr": "Le gestionnaire du fonds enregistre les avenants",
    }[language]
    assert said in listed


@pytest.mark.parametrize("confirm", [False, True])
def test_a_public_funder_may_not_review_or_record_a_variation(deal, confirm):
    funder = _member(deal, "public_funder")
    fields = {**PRICE_CHANGE, "confirm": "1"} if confirm else PRICE_CHANGE
    assert _client(funder).post(_url(deal.programme), fields).status_code == 403
    assert not ProgrammeVariation.objects.exists()
    assert _dues(deal) == {"etat": 448_000, "departement-13": 192_000}


def test_the_payments_page_links_the_variations_for_the_funder_and_the_manager(deal):
    payments = reverse("payments_portal:outcome-payments", args=[deal.programme.pk])
    for user in (_member(deal, "public_funder"), deal.manager):
        page = _client(user).get(payments)
        assert page.status_code == 200
        assert f'href="{_url(deal.programme)}"' in page.content.decode()


def test_a_fund_manager_of_another_programme_gets_nothing(deal):
    other = Deal("other")
    page = _client(other.manager).post(_url(deal.programme), {**PRICE_CHANGE, "confirm": "1"})
    assert page.status_code == 404
    assert not ProgrammeVariation.objects.exists()


def test_the_programme_home_links_the_page_for_its_fund_managers_and_funders_only(deal):
    home = reverse("portal:programme-home", args=[deal.programme.pk])
    assert _url(deal.programme) in _client(deal.manager).get(home).content.decode()
    funder = _member(deal, "public_funder")
    assert _url(deal.programme) in _client(funder).get(home).content.decode()
    assert _url(deal.programme) not in _client(deal.lead).get(home).content.decode()
