"""The fund manager's dashboard speaks the page's language: tranche and step names, with
codes only beside them, dates as the language writes them; its tranche table costs the
same few queries however many tranches there are."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments.selectors import commitment_aggregates
from sib.clock import frozen_today
from sib.privacy import Audience
from tests.payments.schedule_support import SENIOR_JUNIOR, Deal, jardins

pytestmark = pytest.mark.django_db


def deal_with_named_tranches(slug: str, extra_tranches: int = 0) -> Deal:
    deal = Deal(slug)
    deal.cohort("c1", 100)
    for year in range(2026, 2031):
        deal.period(f"{year}", datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    deal.metric("work-6m", {"kind": "rate_card", "price": 300_000}, target_value=Decimal(40))
    deal.tranche("senior", "senior_loan", 1, cap=("annual_rate", "0.05"), name="Prêt senior")
    deal.tranche("junior", "subordinated_loan", 2, cap=("annual_rate", "0.08"), name="Prêt junior")
    deal.tranche("guarantee", "guarantee", 3, protects="senior", cover=15_000_000)
    for number in range(extra_tranches):
        deal.tranche(f"extra-{number}", "subordinated_loan", 4 + number)
    deal.commit("senior", "banque-solidaire", 60_000_000)
    deal.commit("junior", "fonds-impact", 20_000_000)
    deal.commit("guarantee", "fondation-garantie", 15_000_000)
    deal.terms(SENIOR_JUNIOR)
    return deal


def _dashboard(deal: Deal, language: str) -> str:
    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = language
    url = reverse("payments_portal:dashboard", args=[deal.programme.pk])
    return client.get(url).content.decode()


def test_tranches_read_by_name_with_their_code_beside():
    html = _dashboard(deal_with_named_tranches("dash-names"), "fr")
    assert "Prêt senior <code>senior</code>" in html
    assert '<th scope="row">senior</th>' not in html


def test_next_repayments_name_the_step_and_write_the_date_in_french():
    deal = deal_with_named_tranches("dash-steps")
    # "Next" is after the project's today (sib.clock): a day inside the contract.
    with frozen_today(datetime.date(2027, 1, 15)):
        html = _dashboard(deal, "fr")
    section = html[html.index('id="next-title"') :]
    assert "Principal" in section or "Rendement" in section
    assert "(senior)" not in section  # the tranche by its name, not its key
    assert not any(f">{year}-" in section for year in range(2026, 2032))  # no ISO dates


def test_the_tranche_table_costs_the_same_queries_for_2_or_12_tranches():
    few = deal_with_named_tranches("dash-few")
    many = deal_with_named_tranches("dash-many", extra_tranches=10)
    counts = []
    for deal in (few, many):
        with CaptureQueriesContext(connection) as queries:
            rows = commitment_aggregates(
                programme_id=deal.programme.pk, audience=Audience.FUND_MANAGER
            )
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert [row["name"] for row in rows][:2] == ["Prêt senior", "Prêt junior"]
    assert rows[0]["committed"] == 60_000_000 and rows[0]["investors"] == 1


def test_the_schedule_page_tells_what_the_waterfall_allocates_from_what_was_paid_out():
    """Received money is allocated by the waterfall before anyone records paying it out:
    the schedule page must not call the allocation "Distributed" while the dashboard's
    "Distributed to date" (the ledger) reads 0. It uses the manager report's two labels."""
    deal = jardins("dash-waterfall")
    deal.result("work-12m", "c1", "2026", 4)
    deal.receive("etat", 700_000, deal.programme.start_date.replace(year=2027))
    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = "fr"
    url = reverse("payments_portal:schedule", args=[deal.programme.pk])
    html = client.get(url).content.decode()
    assert "Distribué par la cascade" in html
    assert 'data-figure="distributions-recorded">0,00\u00a0€<' in html
    assert ">Distribué<" not in html
