"""One truth for the money, read as its users read it (issue 11, acceptance): after the
journey of tests/payments/test_same_figures.py (verify, amend, dispute, pay, pay ahead), a
real browser reads the figures off the fund manager's dashboard, the funder's outcome
payments page and the investor's page — each the position selector's figure, in French.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from payments.position import programme_position
from sib.money import format_money
from tests.payments.test_same_figures import same_figures_journey
from tests.portal.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _read(page: Page, selector: str) -> str:
    return page.locator(selector).first.inner_text().strip()


def test_each_user_reads_the_positions_figures_in_the_browser(page: Page, live_server, log_in):
    deal = same_figures_journey("same-figures-browser")
    for user in (deal.manager, deal.funder, deal.investor):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    position = programme_position(programme=deal.programme)
    totals = position.totals
    assert totals["disputed"] > 0 and totals["advance"] > 0

    def euros(amount: int) -> str:
        return format_money(amount, "EUR", "fr")

    def visit(user, name: str) -> None:  # type: ignore[no-untyped-def]
        page.context.clear_cookies()
        log_in(user.username)
        page.goto(live_server.url + reverse(f"payments_portal:{name}", args=[deal.programme.pk]))

    visit(deal.manager, "dashboard")
    for key in ("due", "received", "still_to_pay", "distributed"):
        assert _read(page, f'[data-figure="{key}"]') == euros(totals[key]), key

    visit(deal.funder, "outcome-payments")
    for key in ("due", "disputed", "received", "advance", "still_to_pay"):
        assert _read(page, f'[data-total="{key}"]') == euros(totals[key]), key
    shown = page.locator('[data-figure="received"]').all_inner_texts()
    assert [text.strip() for text in shown] == [euros(p.received) for p in position.payers]

    visit(deal.investor, "my-commitments")
    bank = next(i for i in position.investors if i.investor == "banque-solidaire")
    assert _read(page, '[data-figure="principal_outstanding"]') == euros(bank.principal_outstanding)
