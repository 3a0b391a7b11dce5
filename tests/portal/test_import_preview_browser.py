"""The results import's preview, read in a real browser on a phone's width (375 px), in
French and in English: what the checked file makes, cell by cell, before it is confirmed.
Screenshots go to var/ to be looked at."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Page, expect

from outcomes.models import Result
from sib.permissions import Action
from sib.scoping import ProgrammeAccess
from tests.cast import Cast
from tests.portal.objects import verified_result
from tests.portal.test_browser import choose_language

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "fr": {"upload": "Déposer et vérifier", "brings": "14 fiches participants"},
    "en": {"upload": "Upload and check", "brings": "14 participant records"},
}
# Fourteen people in work in the cell whose verified interim counts 12.
FILE = "participant_id,metric,cohort,period,date_achieved\n" + "".join(
    f"PRV-{n:03d},in-work,c1,p1,2026-05-{n + 1:02d}\n" for n in range(14)
)


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_import_preview_reads_on_a_phone_and_shows_an_evaluator_no_money(
    page: Page, live_server, cast: Cast, log_in, tmp_path: Path, language: str
):
    """A final participant file of 14 in a cell holding a verified aggregate interim of
    12: the final replaces it (outcomes.cells); nothing is imported before confirming."""
    page.set_viewport_size({"width": 375, "height": 900})
    interim = verified_result(cast.own)
    log_in(cast.users["evaluator"].username)
    if language == "en":
        choose_language(page, "en")
    page.goto(live_server.url + reverse("outcomes_portal:result-import", args=[cast.own.pk]))
    upload = tmp_path / "people.csv"
    upload.write_text(FILE, encoding="utf-8")
    page.locator("input[name=file]").set_input_files(str(upload))
    page.locator("select[name=stage]").select_option("final")
    page.get_by_role("button", name=TEXT[language]["upload"]).click()
    expect(page.locator("[data-total=records]")).to_have_text(TEXT[language]["brings"])
    cell = page.locator('[data-cell="in-work/c1/p1"]')
    expect(cell).to_have_attribute("data-status", "verified")
    expect(cell.locator(f'[data-in-cell="{interim}"]')).to_have_attribute("data-effect", "replaces")
    expect(page.locator("[data-import-money]")).to_have_count(0)
    assert Result.objects.filter(programme=cast.own).count() == 1
    _no_sideways_scroll(page)
    page.screenshot(path=str(settings.VAR_DIR / f"import-preview-{language}.png"), full_page=True)


def test_a_payment_viewer_would_see_the_payers_figures(
    page: Page, live_server, cast: Cast, log_in, tmp_path: Path, monkeypatch
):
    """No role both imports and sees payments (separation of duties); were one to, the
    preview adds the payers' figures: the final of 14 replaces the interim of 12, so the
    file adds (14 - 12) x 3 000 EUR = 6 000 EUR."""
    allows = ProgrammeAccess.allows
    monkeypatch.setattr(
        ProgrammeAccess,
        "allows",
        lambda self, action: action == Action.PAYMENT_VIEW or allows(self, action),
    )
    page.set_viewport_size({"width": 375, "height": 900})
    verified_result(cast.own)
    log_in(cast.users["evaluator"].username)
    page.goto(live_server.url + reverse("outcomes_portal:result-import", args=[cast.own.pk]))
    upload = tmp_path / "people.csv"
    upload.write_text(FILE, encoding="utf-8")
    page.locator("input[name=file]").set_input_files(str(upload))
    page.locator("select[name=stage]").select_option("final")
    page.get_by_role("button", name=TEXT["fr"]["upload"]).click()
    money = page.locator("[data-import-money]")
    expect(money.locator('[data-figure="total_change"]')).to_have_text(re.compile(r"6\s000,00\s€"))
    _no_sideways_scroll(page)
    page.screenshot(path=str(settings.VAR_DIR / "import-preview-money-fr.png"), full_page=True)
