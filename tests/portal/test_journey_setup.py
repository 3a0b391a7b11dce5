"""Acceptance journey: staff sets a programme up from its definition and invites people.

In a real browser, in French and in English: staff uploads a definition with errors and
reads them at their JSON path, uploads the right one, reviews the draft and activates it,
downloads its definition, then invites an evaluator, who follows the e-mailed link,
chooses a password and finds the programme. Each step's screenshot is kept under
var/journeys/ (CI keeps var/ as its artefacts).
"""

import json
import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from sib.demo import demo_definition
from sib.models import Membership, Programme, ProgrammeStatus, Role, User
from tests.portal.conftest import PASSWORD
from tests.portal.journey_support import Shots
from tests.portal.test_browser import choose_language

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "fr": {
        "open": "Ouvrir un programme à partir de sa définition",
        "load": "Charger la définition",
        "errors": "La définition comporte 2 erreurs",
        "loaded": "est chargé",
        "review": "Vérifier et activer",
        "activate": "Activer le programme",
        "active": "Le programme est actif.",
        "download": "Télécharger la définition (JSON)",
        "invite": "Inviter quelqu’un",
        "send": "Envoyer l’invitation",
        "choose": "Changer de mot de passe",
    },
    "en": {
        "open": "Open a programme from its definition",
        "load": "Load the definition",
        "errors": "The definition has 2 errors",
        "loaded": "is loaded",
        "review": "Review and activate",
        "activate": "Activate the programme",
        "active": "The programme is active.",
        "download": "Download the definition (JSON)",
        "invite": "Invite someone",
        "send": "Send the invitation",
        "choose": "Change password",
    },
}


def _definitions(tmp_path: Path) -> tuple[Path, Path]:
    document = demo_definition()
    document["programme"]["status"] = "draft"
    document.pop("memberships")
    document.pop("history")
    good = tmp_path / "jardins.json"
    good.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    document["programme"]["contract_cap"] = 2**70
    document["organisations"][0]["name"] = "Etat\u0000"
    bad = tmp_path / "jardins-bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    return good, bad


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("admin", password=PASSWORD, is_staff=True)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_staff_sets_a_programme_up_and_invites_an_evaluator(
    page: Page, live_server, log_in, staff: User, tmp_path: Path, language: str
):
    text = TEXT[language]
    shots = Shots(page, f"staff-sets-up-a-programme-{language}")
    good, bad = _definitions(tmp_path)
    page.goto(f"{live_server.url}/accounts/login/")
    if language == "en":
        choose_language(page, "en")
    log_in(staff.username)

    page.get_by_role("link", name=text["open"]).click()
    expect(page).to_have_url(re.compile(r"/programmes/new/$"))
    shots.take("the-upload-page")
    page.locator("input[name=definition]").set_input_files(str(bad))
    page.get_by_role("button", name=text["load"]).click()
    errors = page.locator("#definition-errors")
    expect(errors).to_contain_text(text["errors"])
    expect(errors).to_contain_text("programme.contract_cap")
    expect(errors).to_contain_text("organisations[0].name")
    shots.take("errors-at-their-json-path")
    assert not Programme.objects.exists()

    page.locator("input[name=definition]").set_input_files(str(good))
    page.get_by_role("button", name=text["load"]).click()
    expect(page.locator(".messages")).to_contain_text(text["loaded"])
    shots.take("the-draft-programme")
    programme = Programme.objects.get()
    assert programme.status == ProgrammeStatus.DRAFT

    with page.expect_download() as download:
        page.get_by_role("link", name=text["download"]).first.click()
    saved = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert saved["programme"]["slug"] == "jardins-solidaires"

    page.get_by_role("link", name=text["review"]).click()
    expect(page.locator("#share-total")).to_have_text("100 %")
    shots.take("the-review-page")
    page.get_by_role("button", name=text["activate"]).click()
    expect(page.locator(".messages")).to_contain_text(text["active"])
    shots.take("the-active-programme")
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.ACTIVE

    page.goto(f"{live_server.url}/programmes/{programme.pk}/members/invite/")
    expect(page.get_by_role("heading", name=text["invite"])).to_be_visible()
    page.locator("input[name=username]").fill("camille")
    page.locator("input[name=email]").fill("camille@evalua.example")
    page.locator("select[name=role]").select_option("evaluator")
    page.locator("select[name=organisation]").select_option("evalua")
    shots.take("the-invitation")
    page.get_by_role("button", name=text["send"]).click()
    expect(page).to_have_url(re.compile(r"/members/$"))
    expect(page.locator("main")).to_contain_text("camille")
    shots.take("the-members")
    assert Membership.objects.filter(
        programme=programme, user__username="camille", role=Role.EVALUATOR
    ).exists()

    # The newcomer follows the e-mailed link, chooses a password, and finds the programme.
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mail.outbox[-1].body)
    assert link is not None, mail.outbox[-1].body
    page.get_by_role("button", name=re.compile("Log out|Se déconnecter")).click()
    page.goto(link.group(0))
    page.locator("input[name=new_password1]").fill("camille-pw-2026-long")
    page.locator("input[name=new_password2]").fill("camille-pw-2026-long")
    shots.take("the-newcomer-chooses-a-password")
    page.get_by_role("button", name=text["choose"]).click()
    log_in("camille", "camille-pw-2026-long")
    expect(page.get_by_role("link", name=programme.name)).to_be_visible()
    shots.take("the-newcomer-finds-the-programme")
