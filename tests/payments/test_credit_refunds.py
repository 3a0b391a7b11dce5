"""A credit owed back to a payer may be refunded, in part or whole, as a movement of its
own (issue 11; docs/ledger.md, "Credit refunds"). Figures: "enters training" pays 800 €,
the State 70 % of it: 10 entries are 5 600 € for the State; amended to 5, 2 800 €, so a
State that paid 5 600 € holds a credit of 2 800 €."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from payments import ledger
from payments.credit_refunds import credit_refund_record
from payments.ledger import LegSpec
from payments.models import AccountKind, LedgerTransaction, TransactionKind
from payments.position import programme_position
from payments.reversals import ledger_transaction_reverse
from sib.models import Organisation, OrganisationKind
from sib.money import format_money
from tests.payments.schedule_support import D, jardins
from tests.payments.test_accrual import amend

pytestmark = pytest.mark.django_db
# The tests' "today" (tests/conftest.py): the amendment's restatement is booked then.
TODAY = D(2031, 6, 30)


def _in_credit(slug: str):
    deal = jardins(slug)
    first = deal.result("training", "c1", "2026", 10)  # 5 600 € for the State
    deal.receive("etat", 560_000, D(2027, 1, 15))
    amend(deal, first, 5)  # now 2 800 €: 2 800 € owed back
    return deal


def _refund(deal, amount: int, on=TODAY, **extra):
    return credit_refund_record(
        programme=deal.programme,
        payer=Organisation.objects.get(slug="etat"),
        amount=amount,
        refunded_on=on,
        reason="credit after the recount",
        actor=deal.manager,
        **extra,
    )


def _sums_hold(deal) -> None:
    totals = programme_position(programme=deal.programme).totals
    assert totals["due"] - totals["received"] == totals["outstanding"]


def test_a_partial_refund_pays_cash_back_and_lowers_the_credit():
    deal = _in_credit("refund-part")
    cash_before = programme_position(programme=deal.programme).cash

    tx = _refund(deal, 100_000)  # 1 000 € of the 2 800 € back

    legs = {(leg.account.kind, leg.debit, leg.credit) for leg in tx.legs.all()}
    assert tx.kind == TransactionKind.CREDIT_REFUND
    assert legs == {
        (AccountKind.PAYER_RECEIVABLE, 100_000, 0),
        (AccountKind.PROGRAMME_CASH, 0, 100_000),
    }
    position = programme_position(programme=deal.programme)
    etat = position.payer("etat")
    # received counts what the programme kept: 5 600 € paid less 1 000 € refunded.
    assert (etat.due, etat.received, etat.refunded, etat.credit) == (
        280_000,
        460_000,
        100_000,
        180_000,
    )
    assert position.cash == cash_before - 100_000
    assert position.totals["refunded"] == 100_000
    _sums_hold(deal)


def test_the_whole_credit_may_be_refunded_and_nothing_more():
    deal = _in_credit("refund-whole")
    _refund(deal, 280_000)
    assert programme_position(programme=deal.programme).payer("etat").credit == 0
    with pytest.raises(ValidationError) as refused:
        _refund(deal, 1)
    assert "amount" in refused.value.message_dict
    _sums_hold(deal)


def test_a_refund_above_the_credit_is_refused_naming_the_figures_in_french():
    deal = _in_credit("refund-above")
    before = LedgerTransaction.objects.filter(programme=deal.programme).count()
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        _refund(deal, 280_001)
    message = refused.value.message_dict["amount"][0]
    assert "crédit de 2\u202f800,00\xa0€" in message and "2\u202f800,01\xa0€" in message
    assert LedgerTransaction.objects.filter(programme=deal.programme).count() == before


def test_a_refund_is_bounded_by_the_credit_held_on_its_date():
    deal = _in_credit("refund-dated")
    with pytest.raises(ValidationError) as refused:
        _refund(deal, 100_000, on=D(2027, 1, 10))  # before the State paid: it owed
    assert "amount" in refused.value.message_dict


def test_a_refund_never_takes_the_programmes_cash_below_zero():
    deal = _in_credit("refund-cash")
    provider = Organisation.objects.create(
        slug="refund-cash-provider", name="Provider", kinds=[OrganisationKind.SERVICE_PROVIDER]
    )
    # 5 000 € of the 5 600 € received already paid out: 600 € left in cash.
    ledger.transaction_post(
        programme=deal.programme,
        kind=TransactionKind.DISTRIBUTION,
        occurred_on=D(2027, 2, 1),
        legs=[
            LegSpec(
                ledger.account_for(
                    programme=deal.programme,
                    kind=AccountKind.PROVIDER_FUNDING,
                    organisation=provider,
                ),
                debit=500_000,
            ),
            LegSpec(
                ledger.account_for(programme=deal.programme, kind=AccountKind.PROGRAMME_CASH),
                credit=500_000,
            ),
        ],
    )
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        _refund(deal, 100_000)
    message = refused.value.message_dict["amount"][0]
    assert format_money(60_000, "EUR", "en") in message
    assert programme_position(programme=deal.programme).payer("etat").refunded == 0


@pytest.mark.parametrize("amount", [0, -5])
def test_a_refund_of_nothing_is_refused(amount):
    deal = _in_credit(f"refund-zero{amount}")
    with pytest.raises(ValidationError) as refused:
        _refund(deal, amount)
    assert "amount" in refused.value.message_dict


def test_a_payer_with_no_credit_has_nothing_to_refund():
    deal = jardins("refund-none")
    deal.result("training", "c1", "2026", 10)
    deal.receive("etat", 560_000, D(2027, 1, 15))  # paid exactly what it owes
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        _refund(deal, 1)
    assert "no credit" in refused.value.message_dict["amount"][0]


def test_a_refund_without_a_reason_is_refused():
    deal = _in_credit("refund-reason")
    with pytest.raises(ValidationError) as refused:
        credit_refund_record(
            programme=deal.programme,
            payer=Organisation.objects.get(slug="etat"),
            amount=1_000,
            refunded_on=D(2027, 2, 1),
            reason="  ",
            actor=deal.manager,
        )
    assert "reason" in refused.value.message_dict


def test_a_refund_is_reversed_like_any_movement_and_the_credit_comes_back():
    deal = _in_credit("refund-reverse")
    tx = _refund(deal, 100_000)
    ledger_transaction_reverse(original=tx, reason="the transfer bounced", actor=deal.manager)
    etat = programme_position(programme=deal.programme).payer("etat")
    assert (etat.received, etat.refunded, etat.credit) == (560_000, 0, 280_000)
    _sums_hold(deal)


def test_the_next_due_nets_against_what_is_left_of_the_credit():
    deal = _in_credit("refund-net")
    _refund(deal, 280_000)
    deal.result("training", "c2", "2026", 5)  # 2 800 € more for the State
    etat = programme_position(programme=deal.programme).payer("etat")
    assert (etat.due, etat.received, etat.credit, etat.payable) == (560_000, 280_000, 0, 280_000)
    _sums_hold(deal)


def test_the_api_records_a_refund_once_per_idempotency_key():
    deal = _in_credit("refund-api")
    client = APIClient()
    client.force_authenticate(deal.manager)
    url = f"/api/programmes/{deal.programme.pk}/credit-refunds/create/"
    body = {"payer": "etat", "amount": 50_000, "refunded_on": TODAY.isoformat(), "reason": "part"}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["kind"] == "credit_refund"
    position = client.get(f"/api/programmes/{deal.programme.pk}/position/").json()
    etat = next(p for p in position["payers"] if p["payer"] == "etat")
    assert (etat["refunded"], etat["credit"]) == (50_000, 230_000)


def test_the_api_refuses_a_refund_above_the_credit_as_a_problem():
    deal = _in_credit("refund-api-above")
    client = APIClient()
    client.force_authenticate(deal.manager)
    url = f"/api/programmes/{deal.programme.pk}/credit-refunds/create/"
    body = {"payer": "etat", "amount": 280_001, "refunded_on": TODAY.isoformat(), "reason": "all"}
    response = client.post(
        url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-2", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    messages = [error["message"] for error in response.json()["errors"]]
    assert any("crédit de 2\u202f800,00\xa0€" in message for message in messages)


def test_the_movements_page_lists_a_refund_to_reverse():
    deal = _in_credit("refund-movements")
    tx = _refund(deal, 100_000)
    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("payments_portal:movements", args=[deal.programme.pk]))
    assert page.status_code == 200
    assert "Credit refunded to a payer" in page.content.decode()
    reverse_page = client.get(
        reverse("payments_portal:transaction-reverse", args=[deal.programme.pk, tx.pk])
    )
    assert reverse_page.status_code == 200


def test_the_payments_page_shows_what_was_refunded_beside_what_was_paid():
    deal = _in_credit("refund-page")
    _refund(deal, 100_000)
    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = "en"
    page = client.get(
        reverse("payments_portal:outcome-payments", args=[deal.programme.pk])
    ).content.decode()
    paid = format_money(460_000, "EUR", "en")
    assert f'data-figure="received">{paid}<' in page
    assert f"after {format_money(100_000, 'EUR', 'en')} refunded" in page
    assert f"credit of {format_money(180_000, 'EUR', 'en')} owed to the payer" in page


def test_the_portal_shows_the_credit_before_and_after_then_refunds_once():
    deal = _in_credit("refund-portal")
    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = "en"
    url = reverse("payments_portal:credit-refund-record", args=[deal.programme.pk])
    assert (
        "data-credit-refund"
        in client.get(
            reverse("payments_portal:payment-record", args=[deal.programme.pk])
        ).content.decode()
    )
    body = {
        "idempotency_key": str(uuid.uuid4()),
        "payer": Organisation.objects.get(slug="etat").pk,
        "refunded_on": TODAY.isoformat(),
        "amount": "1000",
        "reason": "part of the credit back",
    }
    confirm = client.post(url, body).content.decode()
    assert f'data-figure="credit">{format_money(280_000, "EUR", "en")}<' in confirm
    assert f'data-figure="credit_after">{format_money(180_000, "EUR", "en")}<' in confirm
    assert programme_position(programme=deal.programme).payer("etat").refunded == 0

    done = client.post(url, {**body, "confirmed": "on"})
    again = client.post(url, {**body, "confirmed": "on"})
    assert (done.status_code, again.status_code) == (302, 302)
    assert programme_position(programme=deal.programme).payer("etat").refunded == 100_000


def test_the_portal_shows_a_refund_above_the_credit_at_its_field():
    deal = _in_credit("refund-portal-above")
    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = "en"
    url = reverse("payments_portal:credit-refund-record", args=[deal.programme.pk])
    body = {
        "idempotency_key": str(uuid.uuid4()),
        "payer": Organisation.objects.get(slug="etat").pk,
        "refunded_on": TODAY.isoformat(),
        "amount": "2800.01",
        "reason": "all of it",
        "confirmed": "on",
    }
    page = client.post(url, body)
    assert page.status_code == 200
    assert "a refund of" in page.content.decode()
    assert programme_position(programme=deal.programme).payer("etat").refunded == 0
