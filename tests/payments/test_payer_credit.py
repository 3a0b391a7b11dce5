"""A payer's credit is what the programme owes back after a restatement below what it paid,
never its advance: money paid ahead shows once, as an advance (docs/ledger.md, the
position). Figures: "enters training" pays 800 €, the State 70 % of it."""

import pytest
from django.test import Client
from django.urls import reverse

from payments import services
from payments.position import programme_position
from sib.models import Organisation
from sib.money import format_money
from tests.payments.schedule_support import D, jardins
from tests.payments.test_accrual import amend

pytestmark = pytest.mark.django_db


def _advance(deal, amount: int) -> None:
    services.payment_received_record(
        programme=deal.programme,
        payer=Organisation.objects.get(slug="etat"),
        amount=amount,
        received_on=D(2027, 1, 15),
        actor=deal.manager,
        advance=True,
    )


def _sums_hold(deal) -> None:
    position = programme_position(programme=deal.programme)
    totals = position.totals
    assert totals["due"] - totals["received"] == totals["outstanding"]
    for payer in position.payers:
        # Money received either met a due or waits as the advance; below zero, what is
        # outstanding is the advance plus the credit, each counted once.
        applied = payer.received - payer.advance
        still_owed = max(payer.due - applied, 0)
        assert payer.outstanding == still_owed - payer.advance - payer.credit


def test_an_unused_advance_is_an_advance_not_also_a_credit():
    deal = jardins("credit-advance")
    deal.result("training", "c1", "2026", 10)  # the State owes 5 600 €
    _advance(deal, 1_000_000)  # pays 10 000 €: 4 400 € ahead

    etat = programme_position(programme=deal.programme).payer("etat")
    assert (etat.received, etat.advance, etat.outstanding) == (1_000_000, 440_000, -440_000)
    assert etat.credit == 0
    _sums_hold(deal)

    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = "en"
    page = client.get(
        reverse("payments_portal:payment-record", args=[deal.programme.pk])
    ).content.decode()
    assert "owed to the payer" not in page
    assert f'data-figure="advance">{format_money(440_000, "EUR", "en")}<' in page


def test_a_restatement_below_what_was_paid_is_a_credit_beside_an_advance():
    deal = jardins("credit-both")
    first = deal.result("training", "c1", "2026", 10)  # 5 600 € for the State
    deal.receive("etat", 560_000, D(2027, 1, 15))
    amend(deal, first, 5)  # now 2 800 €: 2 800 € owed back

    etat = programme_position(programme=deal.programme).payer("etat")
    assert (etat.due, etat.received, etat.advance, etat.credit) == (280_000, 560_000, 0, 280_000)
    _sums_hold(deal)
