"""Money not yet owed is not proposed for distribution (docs/ledger.md, "Advances").

A payment received counts in the waterfall for what it settled of the payer's dues, on
its date; the part kept as an advance counts once a due meets it (`advance_applied`),
on that date, and not before.
"""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from payments.models import LedgerTransaction
from payments.schedule_builder import schedule_document
from tests.payments.schedule_support import D, jardins

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal():
    deal = jardins("advance-waterfall")
    deal.draw("senior", "banque-solidaire", D(2026, 2, 1), 10_000_000)
    deal.result("training", "c1", "2026", 10)  # 8 000 €: the State owes 5 600 €
    deal.receive("etat", 2_000_000, D(2027, 1, 15), advance=True)  # 14 400 € ahead
    return deal


def _payments(deal) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    schedule = schedule_document(programme=deal.programme)["schedule"]
    return [(p["on"], p["amount"]) for p in schedule["payments"]]


def test_an_unapplied_advance_is_not_proposed_for_distribution(deal):
    schedule = schedule_document(programme=deal.programme)["schedule"]
    assert _payments(deal) == [("2027-01-15", 560_000)]
    assert schedule["totals"]["received"] == 560_000
    assert sum(d["amount"] for d in schedule["distributions"]) <= 560_000


def test_an_advance_is_proposed_for_distribution_once_applied_on_the_day_it_is_applied(deal):
    deal.result("training", "c2", "2026", 20)  # 16 000 €: the State owes 11 200 € more
    applied = LedgerTransaction.objects.get(programme=deal.programme, kind="advance_applied")
    on: date = applied.occurred_on
    assert sorted(_payments(deal)) == sorted([("2027-01-15", 560_000), (on.isoformat(), 1_120_000)])


def test_the_schedule_page_shows_what_was_received_and_the_advance_held_apart(deal):
    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("payments_portal:schedule", args=[deal.programme.pk]))
    html = page.content.decode()
    assert 'data-figure="received">€20,000.00<' in html  # the position's, as everywhere
    assert 'data-figure="advance">€14,400.00<' in html
    assert 'data-figure="waterfall-received">€5,600.00<' in html
