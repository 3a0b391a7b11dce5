"""First journeys in a real browser (Debian's chromium through Playwright, on live_server).

Every test also fails on any console error the pages log (see the `page` fixture):
a Content-Security-Policy violation, for one, is reported there.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from payments import services as payments
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
START = date(2026, 1, 1)

HEADINGS = {"fr": "Vos programmes", "en": "Your programmes"}
LOG_OUT = {"fr": "Se déconnecter", "en": "Log out"}


def choose_language(page: Page, language: str) -> None:
    name = {"fr": "Français", "en": "English"}[language]
    page.get_by_role("group", name=re.compile("Langue|Language")).get_by_role(
        "button", name=name
    ).click()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_login_shows_only_the_users_programmes(
    page: Page, live_server, cast: Cast, log_in, language: str
):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    if language == "en":
        choose_language(page, "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    log_in(cast.users["evaluator"].username)
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[language])
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(2)  # the header and the one programme
    expect(page.get_by_role("link", name=cast.own.name)).to_be_visible()
    expect(page.get_by_text(cast.foreign.name)).to_have_count(0)


def test_a_wrong_password_is_explained_in_french(page: Page, live_server, cast: Cast, log_in):
    log_in(cast.users["evaluator"].username, "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("mot de passe valides")
    expect(page.get_by_label("Nom d’utilisateur")).to_have_value(cast.users["evaluator"].username)


def test_language_switch_keeps_the_page(page: Page, live_server, cast: Cast, log_in):
    log_in(cast.users["fund_manager"].username)
    page.get_by_role("link", name=cast.own.name).click()
    home_url = page.url
    expect(page.get_by_role("heading", name="Ce que vous pouvez faire ici")).to_be_visible()
    choose_language(page, "en")
    expect(page).to_have_url(home_url)
    expect(page.get_by_role("heading", name="What you can do here")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    choose_language(page, "fr")
    expect(page.get_by_role("heading", name="Ce que vous pouvez faire ici")).to_be_visible()


def test_programme_pages_show_the_chain_head_in_the_footer(
    page: Page, live_server, cast: Cast, log_in
):
    from sib.chain import chain_head

    log_in(cast.users["fund_manager"].username)
    page.get_by_role("link", name=cast.own.name).click()
    expect(page.locator("footer [data-chain-head]")).to_have_text(
        chain_head(programme_id=cast.own.pk)
    )
    page.get_by_role("link", name="Membres").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Membres")
    expect(page.locator("footer [data-chain-head]")).to_have_text(
        chain_head(programme_id=cast.own.pk)
    )


def test_a_stranger_sees_the_not_found_page(page: Page, live_server, cast: Cast, log_in, console):
    console.expect_error("the server responded with a status of 404")
    log_in(cast.stranger.username)
    response = page.goto(f"{live_server.url}/programmes/{cast.own.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(page.get_by_text(cast.own.name)).to_have_count(0)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_logout_ends_the_session(page: Page, live_server, cast: Cast, log_in, language: str):
    page.goto(f"{live_server.url}/accounts/login/")
    if language == "en":
        choose_language(page, "en")
    log_in(cast.users["investor"].username)
    page.get_by_role("button", name=LOG_OUT[language]).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("status")).to_contain_text(
        {"fr": "Vous êtes déconnecté.", "en": "You are logged out."}[language]
    )
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_content(
    page: Page, live_server, cast: Cast, log_in
):
    log_in(cast.users["public_funder"].username)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu principal")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.parametrize("width", [1280, 375])
def test_pages_fit_the_screen_width(page: Page, live_server, cast: Cast, log_in, width: int):
    page.set_viewport_size({"width": width, "height": 800})
    # The tranches page with its widest rows: a capped loan and a guarantee covering it.
    senior = payments.tranche_create(
        programme=cast.own, key="senior", name="Senior loans", kind="senior_loan", priority=1,
        cap_type="annual_rate", cap_value=Decimal("0.05"),
    )  # fmt: skip
    guarantee = payments.tranche_create(
        programme=cast.own, key="guarantee", name="Senior guarantee", kind="guarantee",
        priority=2, protects=senior, cover_limit=15_000_000,
    )  # fmt: skip
    payments.commitment_create(
        tranche=senior, investor=cast.investor_org, amount=60_000_000, committed_on=START
    )
    payments.commitment_create(
        tranche=guarantee, investor=cast.investor_org, amount=15_000_000, committed_on=START
    )
    log_in(cast.users["fund_manager"].username)
    own = f"/programmes/{cast.own.pk}/"
    for path in ("/", own, f"{own}members/", f"{own}money/investors/", f"{own}variations/"):
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at {width} px"
