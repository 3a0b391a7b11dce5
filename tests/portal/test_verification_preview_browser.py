"""What verifying a result would pay, read in a real browser on a phone's width (375 px):
the fund manager's result page before its verification, and the evaluator's submit page,
which says what the result does to its cell and shows no money."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.cast import Cast
from tests.portal.objects import submitted_result, verified_result

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px"


def test_the_payment_preview_fits_a_phone(page: Page, live_server, cast: Cast, log_in):
    """The cell holds a verified interim of 12 at 3 000 € per outcome. A final of 25 would
    replace it; a final of 14 adds (14 - 12) x 3 000 € = 6 000 €."""
    page.set_viewport_size({"width": 375, "height": 800})
    heading = "Ce que vérifier ce résultat paierait"
    interim = verified_result(cast.own)
    log_in(cast.users["evaluator"].username)
    page.goto(live_server.url + reverse("outcomes_portal:result-submit", args=[cast.own.pk]))
    for name in ("metric", "cohort", "period"):
        page.locator(f"select[name={name}]").select_option(index=1)
    page.locator("select[name=stage]").select_option("final")
    page.locator("input[name=value]").fill("25")
    page.get_by_role("button", name="Soumettre le résultat").click()
    expect(page.locator(f'[data-in-cell="{interim}"][data-effect="replaces"]')).to_be_visible()
    expect(page.locator("[data-pay-preview]")).to_have_count(0)
    _no_sideways_scroll(page)

    final = submitted_result(cast.own)
    page.context.clear_cookies()
    log_in(cast.users["fund_manager"].username)
    page.goto(live_server.url + reverse("outcomes_portal:result-detail", args=[cast.own.pk, final]))
    preview = page.locator("[data-pay-preview]")
    expect(preview.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator("[data-cell-warning]")).to_be_visible()
    expect(preview.locator('[data-figure="total_change"]')).to_have_text(
        re.compile(r"6\s000,00\s€")
    )
    _no_sideways_scroll(page)
