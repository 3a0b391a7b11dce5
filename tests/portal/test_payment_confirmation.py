"""Recording a payment received shows the figures first; above what the payer owes, it is
recorded only as an advance, ticked on the confirmation page."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from payments.models import LedgerTransaction
from payments.position import programme_position
from sib.models import Organisation
from tests.payments.schedule_support import jardins

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal():
    deal = jardins("confirm-payment")
    deal.result("training", "c1", "2026", 10)  # the State owes 5 600 €
    return deal


def _post(deal, **fields):
    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = "en"
    body = {
        "payer": Organisation.objects.get(slug="etat").pk,
        "received_on": "2027-01-15",
        "amount": "20000",
        "idempotency_key": "k-" + str(uuid.uuid4()),
        **fields,
    }
    url = reverse("payments_portal:payment-record", args=[deal.programme.pk])
    return client.post(url, body), body


def _payments(deal) -> int:
    return LedgerTransaction.objects.filter(
        programme=deal.programme, kind="payment_received"
    ).count()


def test_the_first_post_records_nothing_and_shows_what_the_payer_owes(deal):
    response, _ = _post(deal)
    html = response.content.decode()
    assert response.status_code == 200 and "data-confirm" in html
    assert 'data-figure="payable">€5,600.00<' in html
    assert "data-above" in html  # 20 000 € is 14 400 € more than owed
    assert _payments(deal) == 0


def test_confirming_an_amount_above_what_is_owed_without_advance_is_refused(deal):
    response, _ = _post(deal, confirmed="on")
    assert response.status_code == 200
    assert "record it as an advance" in response.content.decode()
    assert _payments(deal) == 0


def test_confirming_with_the_advance_ticked_records_it_apart(deal):
    response, _ = _post(deal, confirmed="on", advance="on")
    assert response.status_code == 302
    etat = programme_position(programme=deal.programme).payer("etat")
    assert (etat.received, etat.advance, etat.payable) == (2_000_000, 1_440_000, 0)


def test_the_confirmation_shows_the_date_received_in_the_pages_language(deal):
    response, _ = _post(deal)
    assert 'data-figure="received_on">Jan. 15, 2027<' in response.content.decode()
    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = "fr"
    url = reverse("payments_portal:payment-record", args=[deal.programme.pk])
    french = client.post(
        url,
        {
            "payer": Organisation.objects.get(slug="etat").pk,
            "received_on": "2027-01-15",
            "amount": "5600",
            "idempotency_key": "k-" + str(uuid.uuid4()),
        },
    ).content.decode()
    assert 'data-figure="received_on">15 janvier 2027<' in french
    assert "Date de réception" in french and _payments(deal) == 0


def test_an_advance_past_the_most_the_payer_could_ever_owe_is_refused_on_the_page(deal):
    # Contract cap 1 500 000 €, the State's share 70 %: it can owe at most 1 050 000 €.
    response, _ = _post(deal, amount="1050000.01", confirmed="on", advance="on")
    assert response.status_code == 200
    html = response.content.decode()
    assert "can owe at most €1,050,000.00 over the contract" in html
    assert "the contract cap €1,500,000.00 × its share 70%" in html
    assert _payments(deal) == 0
