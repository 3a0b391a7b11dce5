"""One check that every surface shows the position's money figures (issue 11).

`agree_everywhere(programme, user)` reads the position, then asserts, to the cent: the
books' identities (trial balance zero; Σ due - Σ received = Σ outstanding; no figure
below zero), every money page and API answer answers (no 500), and the manager
dashboard, the payment page, the API position, each payer's notice (data and PDF) and
both report editions show the same due, received and still-to-pay figures.
"""

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from payments.ledger import trial_balance
from payments.position import ProgrammePosition, programme_position
from reports.notices import notice_data
from reports.selectors.state import chain_state
from reports.services import report_render
from sib.models import Organisation, Programme, User
from sib.money import format_money
from tests.reports.support import money as pdf_money
from tests.reports.support import pdf_lines, pdf_text, value_after

PAGES = (
    "dashboard",
    "schedule",
    "investors",
    "payment-record",
    "outcome-payments",
    "distributions",
    "guarantees",
    "movements",
)
APIS = ("position", "schedule", "outcome-payments", "distributions")


def _m(amount: int) -> str:
    return format_money(amount, "EUR", "en")


def books_add_up(position: ProgrammePosition, programme: Programme) -> None:
    for currency, (debit, credit) in trial_balance(programme_id=programme.pk).items():
        assert debit == credit, currency
    totals = position.totals
    assert totals["due"] - totals["received"] == totals["outstanding"]
    assert sum(p.still_to_pay for p in position.payers) == totals["still_to_pay"]
    for payer in position.payers:
        for figure in ("due", "disputed", "received", "advance", "credit", "still_to_pay"):
            assert getattr(payer, figure) >= 0, (payer.payer, figure, getattr(payer, figure))
        assert payer.payable <= payer.still_to_pay, payer.payer
        assert payer.advance <= payer.received, payer.payer


def agree_everywhere(programme: Programme, user: User) -> ProgrammePosition:
    position = programme_position(programme=programme)
    books_add_up(position, programme)
    totals = position.totals

    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    pages = {}
    for name in PAGES:
        response = client.get(reverse(f"payments_portal:{name}", args=[programme.pk]))
        assert response.status_code == 200, name
        pages[name] = response.content.decode()
    for key in ("due", "received", "still_to_pay"):
        assert f'data-figure="{key}">{_m(totals[key])}<' in pages["dashboard"], key
    for key in ("due", "disputed", "received", "advance", "still_to_pay"):
        assert f'data-total="{key}">{_m(totals[key])}<' in pages["payment-record"], key

    api = APIClient()
    api.force_authenticate(user)
    for name in APIS:
        response = api.get(f"/api/programmes/{programme.pk}/{name}/")
        assert response.status_code == 200, (name, response.content[:300])
    for investor in {i.investor for i in position.investors}:
        url = f"/api/programmes/{programme.pk}/statement/?investor={investor}"
        response = api.get(url)
        assert response.status_code == 200, (url, response.content[:300])
    body = api.get(f"/api/programmes/{programme.pk}/position/").json()
    for key in ("due", "received", "outstanding", "still_to_pay", "advance", "disputed"):
        assert body["totals"][key] == totals[key], key

    for payer in position.payers:
        row = f'data-figure="received">{_m(payer.received)}<'
        assert row in pages["payment-record"], payer.payer
        assert row in pages["outcome-payments"], payer.payer
    plan = api.get(f"/api/programmes/{programme.pk}/outcome-payments/").json()
    by_payer = {p["payer"]: p["amount"] for p in plan["payer_totals"]}
    for payer in position.payers:
        assert by_payer.get(payer.payer, 0) == payer.due - payer.redemption, payer.payer

    state = chain_state(programme=programme)
    for payer in position.payers:
        organisation = Organisation.objects.get(slug=payer.payer)
        data = notice_data(programme=programme, payer=organisation, language="en", state=state)
        figures = data.figures
        assert (figures.due, figures.received, figures.outstanding) == (
            payer.due,
            payer.received,
            payer.still_to_pay,
        ), payer.payer
        assert sum(line.amount for line in data.lines) == payer.due, payer.payer
        assert sum(p.amount for p in data.payments) == payer.received, payer.payer
        assert sum(line.settled for line in data.lines) <= payer.received, payer.payer
        pdf = report_render(
            programme=programme, edition="payer_notice", language="en", payer=organisation
        )
        flat = " ".join(pdf_text(pdf).split())
        assert pdf_money(payer.still_to_pay, "en") in flat, payer.payer

    for edition in ("public", "manager"):
        lines = pdf_lines(report_render(programme=programme, edition=edition, language="en"))
        assert value_after(lines, "Outcome payments paid") == pdf_money(totals["received"], "en")
        assert value_after(lines, "Payments due (verified, not yet paid)") == pdf_money(
            totals["still_to_pay"], "en"
        ), edition
    return position
