"""One truth for the money: after a journey (verify, amend, dispute, pay, pay ahead), the
dashboard, the funder's payments page, the payment form, the investor's page, the API
and the text of both PDF editions show the position's figures, the same everywhere."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes import services as outcome_services
from payments import services
from payments.position import programme_position
from reports.services import report_render
from sib.models import Membership, Organisation, User
from sib.money import format_money
from tests.payments.schedule_support import D, jardins
from tests.reports.support import money as pdf_money
from tests.reports.support import pdf_lines, value_after

pytestmark = pytest.mark.django_db


def same_figures_journey(slug: str = "same-figures"):  # type: ignore[no-untyped-def]
    """Verify, amend, dispute, pay, pay ahead: a history that reaches every figure."""
    deal = jardins(slug)
    deal.draw("senior", "banque-solidaire", D(2026, 2, 1), 30_000_000)
    first = deal.result("training", "c1", "2026", 40)
    deal.result("work-6m", "c1", "2026", 12)
    disputed = deal.result("training", "c2", "2026", 25)
    amendment = outcome_services.result_amend(
        result=first,
        user=deal.evaluator,
        reason="two counted twice",
        stage=None,
        values=outcome_services.ResultValues(value=Decimal(38)),
    )
    outcome_services.result_verify(result=amendment, user=deal.lead)
    deal.funder = User.objects.create(username="same-figures-funder")
    Membership.objects.create(
        user=deal.funder,
        programme=deal.programme,
        role="public_funder",
        organisation=Organisation.objects.get(slug="etat"),
    )
    outcome_services.result_review(
        result=disputed, user=deal.funder, verdict="disputed", comment="recount"
    )
    deal.receive("etat", 1_000_000, D(2027, 1, 15))
    services.payment_received_record(
        programme=deal.programme,
        payer=Organisation.objects.get(slug="departement-13"),
        # The département owes 25 920 € (the State's dispute holds the State's share
        # only): 30 000 € leaves 4 080 € ahead.
        amount=3_000_000,
        received_on=D(2027, 2, 1),
        actor=deal.manager,
        advance=True,
    )
    deal.investor = User.objects.create(username="same-figures-bank")
    Membership.objects.create(
        user=deal.investor,
        programme=deal.programme,
        role="investor",
        organisation=Organisation.objects.get(slug="banque-solidaire"),
    )
    return deal


@pytest.fixture
def journey():  # type: ignore[no-untyped-def]
    return same_figures_journey()


def _html(user, name, programme) -> str:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    response = client.get(reverse(f"payments_portal:{name}", args=[programme.pk]))
    assert response.status_code == 200
    return response.content.decode()


# What a public funder is not told of a programme with one guarantor (sib.privacy).
ONE_GUARANTORS_TOTALS = ("guarantee_called", "guarantee_paid", "distributed")


def test_every_page_api_and_pdf_shows_the_positions_figures(journey):
    deal = journey
    position = programme_position(programme=deal.programme)
    totals = position.totals
    assert totals["disputed"] > 0 and totals["advance"] > 0  # the journey reached both

    def m(amount: int) -> str:
        return format_money(amount, "EUR", "en")

    dashboard = _html(deal.manager, "dashboard", deal.programme)
    for key in ("due", "received", "still_to_pay", "distributed"):
        assert f'data-figure="{key}">{m(totals[key])}<' in dashboard, key

    for page in (
        _html(deal.funder, "outcome-payments", deal.programme),
        _html(deal.manager, "payment-record", deal.programme),
    ):
        for key in ("due", "disputed", "received", "advance", "still_to_pay"):
            assert f'data-total="{key}">{m(totals[key])}<' in page, key
        for payer in position.payers:
            assert f'data-figure="received">{m(payer.received)}<' in page

    mine = _html(deal.investor, "my-commitments", deal.programme)
    bank = [i for i in position.investors if i.investor == "banque-solidaire"]
    assert f'data-figure="principal_outstanding">{m(bank[0].principal_outstanding)}<' in mine

    api = APIClient()
    api.force_authenticate(deal.funder)
    body = api.get(f"/api/programmes/{deal.programme.pk}/position/").json()
    # The same figures, less those of the lone guarantor (sib.privacy: fewer than 3).
    assert body["totals"] == {**totals, **dict.fromkeys(ONE_GUARANTORS_TOTALS)}
    assert body["investors"] == []  # a public funder sees no investor's position

    for edition in ("public", "manager"):
        lines = pdf_lines(report_render(programme=deal.programme, edition=edition, language="en"))
        assert value_after(lines, "Outcome payments paid") == pdf_money(totals["received"], "en")
        assert value_after(lines, "Payments due (verified, not yet paid)") == pdf_money(
            totals["still_to_pay"], "en"
        )


def test_one_payers_advance_never_lowers_what_another_still_has_to_pay():
    """Ten participants verified at 800 €: the State owes 5 600 €, the département 2 400 €.
    The département then pays 10 000 € ahead (an advance): it settles its own 2 400 € and
    keeps 7 600 € in advance. The State still has 5 600 € to pay — not 5 600 − 7 600 =
    −2 000 €, the net of one payer's advance against another's dues."""
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    deal.receive("departement-13", 1_000_000, D(2027, 1, 15), advance=True)
    position = programme_position(programme=deal.programme)
    assert position.payer("departement-13").advance == 760_000
    assert position.totals["still_to_pay"] == 560_000
    # The ledger's identity still holds: the net figure stays for the books.
    assert position.totals["outstanding"] == 560_000 - 760_000

    def m(amount: int) -> str:
        return format_money(amount, "EUR", "en")

    dashboard = _html(deal.manager, "dashboard", deal.programme)
    assert f'data-figure="still_to_pay">{m(560_000)}<' in dashboard
    page = _html(deal.manager, "payment-record", deal.programme)
    assert f'data-total="still_to_pay">{m(560_000)}<' in page
    assert f'data-figure="still_to_pay">{m(0)}<' in page  # the département's row
    for edition in ("public", "manager"):
        lines = pdf_lines(report_render(programme=deal.programme, edition=edition, language="en"))
        assert value_after(lines, "Payments due (verified, not yet paid)") == pdf_money(
            560_000, "en"
        )
