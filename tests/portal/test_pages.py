"""Portal pages through Django's test client: who sees what, in which language."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from sib import services
from sib.chain import GENESIS, chain_head
from sib.models import Organisation, Programme, User
from tests.cast import make_programme

pytestmark = pytest.mark.django_db


def client_for(user: User, language: str | None = None) -> Client:
    client = Client()
    client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    return client


def home(programme: Programme) -> str:
    return reverse("portal:programme-home", kwargs={"programme_id": programme.pk})


def sections(html: str) -> set[str]:
    return set(re.findall(r'data-section="([^"]+)"', html))


def test_anonymous_visitor_is_sent_to_the_login_page(cast):
    response = Client().get(home(cast.own))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_programme_list_shows_only_the_users_programmes(cast):
    make_programme("portal-third", cast.users["fund_manager"])
    html = client_for(cast.users["evaluator"]).get("/").content.decode()
    assert cast.own.name in html
    assert cast.foreign.name not in html
    assert "Programme portal-third" not in html


def test_programme_list_tells_a_user_without_role_what_to_do(cast):
    html = client_for(cast.stranger, "en").get("/").content.decode()
    assert "You have no role on any programme yet" in html
    assert cast.own.name not in html


def test_portal_speaks_french_by_default_and_english_on_request(cast):
    user = cast.users["evaluator"]
    french = client_for(user).get("/").content.decode()
    english = client_for(user, "en").get("/").content.decode()
    assert '<html lang="fr">' in french and "Vos programmes" in french
    assert '<html lang="en">' in english and "Your programmes" in english


def test_language_switch_sets_the_language_and_returns_to_the_page(cast):
    client = client_for(cast.users["evaluator"])
    response = client.post(reverse("set_language"), {"language": "en", "next": home(cast.own)})
    assert response.status_code == 302
    assert response["Location"] == home(cast.own)
    assert "What you can do here" in client.get(home(cast.own)).content.decode()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            "fund_manager",
            {
                "dashboard",
                "schedule",
                "scenarios",
                "investors",
                "drawdown",
                "payment",
                "distributions",
                "guarantees",
                "movements",
                "outcomes",
                "submissions",
                "disputes",
                "reports-manager",
                "members",
                "member-invite",
                "variations",
                "ledger-verify",
            },
        ),
        (
            "evaluator",
            {
                "outcomes",
                "submit",
                "import",
                "submissions",
                "disputes",
                "reports-public",
                "ledger-verify",
            },
        ),
        (
            "lead_evaluator",
            {
                "outcomes",
                "submit",
                "import",
                "submissions",
                "verification",
                "disputes",
                "reports-public",
                "member-invite",
                "ledger-verify",
            },
        ),
        (
            "public_funder",
            {
                "payments-due",
                "returns",
                "outcomes",
                "acceptance",
                "reports-public",
                "member-invite",
                "variations",
                "ledger-verify",
            },
        ),
        ("investor", {"my-commitments"}),
    ],
)
def test_programme_home_lists_the_sections_the_role_opens(cast, role, expected):
    html = client_for(cast.users[role], "en").get(home(cast.own)).content.decode()
    assert sections(html) == expected


def test_staff_without_role_sees_the_programme_but_no_sections(cast):
    html = client_for(cast.staff, "en").get(home(cast.own)).content.decode()
    assert sections(html) == set()
    assert "you have no role on this programme" in html


def test_an_investor_is_not_shown_the_other_investors(cast):
    manager, investor = cast.users["fund_manager"], cast.users["investor"]
    programme = make_programme("portal-two", manager, activate=False)
    other = Organisation.objects.create(name="Other Bank", slug="other-bank", kinds=["investor"])
    services.programme_party_add(programme=programme, organisation=other, role="investor")
    services.membership_add(
        programme=programme,
        user=investor,
        role="investor",
        organisation=Organisation.objects.get(slug="portal-two-investor"),
    )
    investor_html = client_for(investor).get(home(programme)).content.decode()
    manager_html = client_for(manager).get(home(programme)).content.decode()
    assert "Other Bank" not in investor_html
    assert "Payer portal-two" in investor_html
    assert "Other Bank" in manager_html


def test_every_programme_page_shows_the_chain_head_in_its_footer(cast):
    client = client_for(cast.users["fund_manager"])
    expected = chain_head(programme_id=cast.own.pk)
    # A fresh programme: its chain holds the terms it was set up with and the roles granted.
    assert expected != GENESIS
    for url in (home(cast.own), reverse("portal:programme-members", args=[cast.own.pk])):
        html = client.get(url).content.decode()
        footer = html.split('<footer class="site-footer">', 1)[1]
        assert f"data-chain-head>{expected}</code>" in footer


def test_members_page_is_for_fund_managers_only(cast):
    url = reverse("portal:programme-members", args=[cast.own.pk])
    html = client_for(cast.users["fund_manager"], "en").get(url).content.decode()
    assert cast.users["investor"].username in html
    response = client_for(cast.users["evaluator"], "en").get(url)
    assert response.status_code == 403
    assert "Your role on this programme does not allow this page" in response.content.decode()


def test_contract_cap_is_formatted_in_the_pages_language(cast):
    manager = cast.users["fund_manager"]
    french = client_for(manager).get(home(cast.own)).content.decode()
    english = client_for(manager, "en").get(home(cast.own)).content.decode()
    assert "1\u202f500\u202f000,00\u00a0€" in french
    assert "€1,500,000.00" in english


def test_404_page_is_translated_and_shows_no_details(cast):
    response = client_for(cast.stranger).get(home(cast.own))
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page introuvable" in html
    assert cast.own.name not in html
    assert "Traceback" not in html


def test_logout_is_a_post_and_says_so(cast):
    client = client_for(cast.users["evaluator"], "en")
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You are logged out." in response.content.decode()
    assert client.get("/").status_code == 302


def test_login_with_a_wrong_password_says_why_beside_the_form(cast):
    response = Client().post(
        reverse("login"), {"username": cast.users["evaluator"].username, "password": "wrong"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in html


def test_password_change_keeps_the_user_logged_in_with_the_new_password(cast):
    user = cast.users["evaluator"]
    client = client_for(user, "en")
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-123456789",
            "new_password1": "a-longer-new-passphrase-2026",
            "new_password2": "a-longer-new-passphrase-2026",
        },
        follow=True,
    )
    assert "Your password is changed" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("a-longer-new-passphrase-2026")
    assert client.get("/").status_code == 200


def test_portal_pages_carry_the_content_security_policy_and_no_inline_code(cast):
    client = client_for(cast.users["fund_manager"])
    for url in ("/", home(cast.own), reverse("password_change")):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert not re.search(r"\sstyle=|<style", html), url
        assert not re.search(r"\son[a-z]+=", html), url


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [("en-GB,en;q=0.9", "en"), ("de-DE,de;q=0.9", "fr"), ("", "fr")],
)
def test_the_browser_language_is_followed_when_the_portal_speaks_it(
    cast, accept_language, expected
):
    client = client_for(cast.users["evaluator"])
    html = client.get("/", headers={"accept-language": accept_language}).content.decode()
    assert f'<html lang="{expected}">' in html


def test_a_custom_scenario_keeps_its_decimals(cast):
    """62,5 % was printed "62 %": the scenario's header reads the rate as it was asked."""
    url = reverse("payments_portal:scenarios", kwargs={"programme_id": cast.own.pk})
    manager = cast.users["fund_manager"]
    french = client_for(manager).get(url, {"percent": "62,5"}).content.decode()
    english = client_for(manager, "en").get(url, {"percent": "62.5"}).content.decode()
    assert "62,5\u00a0%" in french
    assert "62.5\u00a0%" in english
    assert "100\u00a0%" in french  # whole rates stay whole
