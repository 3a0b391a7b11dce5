"""Acceptance journey: staff sets a programme up step by step in a real browser.

From the upload page to the guided path: the programme, its parties, a cohort and a
period, a metric whose rate card is previewed, a tranche and its commitment, the
waterfall previewed on an example payment, the review, the draft, then the existing
activation review. Screenshots under var/journeys/ (CI keeps var/ as its artefacts).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from sib.models import Programme, ProgrammeStatus, User
from tests.portal.conftest import PASSWORD
from tests.portal.journey_support import Shots
from tests.portal.setup_steps_support import organisations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _next(page: Page) -> None:
    page.get_by_role("button", name="Enregistrer et continuer").click()


def test_staff_sets_a_programme_up_step_by_step(page: Page, live_server, log_in):
    organisations()
    User.objects.create_user("admin", password=PASSWORD, is_staff=True)
    shots = Shots(page, "staff-sets-up-a-programme-step-by-step-fr")
    page.goto(f"{live_server.url}/accounts/login/")
    log_in("admin")
    page.get_by_role("link", name="Ouvrir un programme à partir de sa définition").click()
    page.get_by_role("link", name="Paramétrer le programme étape par étape").click()
    expect(page).to_have_url(re.compile(r"/programmes/new/steps/programme/$"))

    page.locator("input[name=name]").fill("Jardins solidaires")
    page.locator("input[name=slug]").fill("jardins")
    page.locator("input[name=start_date]").fill("2026-01-01")
    page.locator("input[name=end_date]").fill("2030-12-31")
    page.locator("input[name=contract_cap]").fill("1 500 000,00")
    shots.take("the-programme")
    _next(page)

    expect(page).to_have_url(re.compile(r"/steps/parties/$"))
    page.locator("select[name=payers-0-organisation]").select_option("etat")
    page.locator("input[name=payers-0-payer_share]").fill("60")
    page.locator("select[name=payers-1-organisation]").select_option("departement")
    page.locator("input[name=payers-1-payer_share]").fill("33.33333")
    _next(page)
    # The format refuses the share where it was typed, in French; nothing moves on.
    expect(page.locator("#payers-1")).to_contain_text("décimales")
    page.locator("input[name=payers-1-payer_share]").fill("40")
    page.locator("select[name=intermediary]").select_option("impact")
    page.locator("select[name=evaluator]").select_option("evalua")
    page.locator("input[name=investors][value=banque]").check()
    shots.take("the-parties")
    _next(page)

    page.locator("input[name=cohorts-0-code]").fill("2026")
    page.locator("input[name=cohorts-0-name]").fill("Cohorte 2026")
    _next(page)
    page.locator("input[name=periods-0-code]").fill("2026")
    page.locator("input[name=periods-0-name]").fill("2026")
    page.locator("input[name=periods-0-start_date]").fill("2026-01-01")
    page.locator("input[name=periods-0-end_date]").fill("2026-12-31")
    _next(page)

    expect(page.locator("#other-mechanisms")).to_be_visible()
    page.locator("input[name=metrics-0-code]").fill("in-work")
    page.locator("input[name=metrics-0-name]").fill("En emploi six mois")
    page.locator("textarea[name=metrics-0-definition]").fill("26 semaines d’emploi.")
    page.locator("input[name=metrics-0-price]").fill("3 000")
    page.locator("input[name=metrics-0-cohorts][value='2026']").check()
    page.locator("input[name=metrics-0-periods][value='2026']").check()
    page.get_by_role("button", name="Aperçu").click()
    expect(page.locator("#rate-card")).to_contain_text("3\u202f000,00\xa0€")
    shots.take("the-rate-card")
    _next(page)

    page.locator("input[name=tranches-0-key]").fill("senior")
    page.locator("input[name=tranches-0-name]").fill("Prêts seniors")
    page.locator("select[name=tranches-0-kind]").select_option("senior_loan")
    page.locator("input[name=tranches-0-priority]").fill("1")
    page.locator("select[name=tranches-0-cap_type]").select_option("annual_rate")
    page.locator("input[name=tranches-0-cap_value]").fill("0.05")
    page.locator("input[name=commitments-0-tranche]").fill("senior")
    page.locator("select[name=commitments-0-investor]").select_option("banque")
    page.locator("input[name=commitments-0-amount]").fill("600 000")
    page.locator("input[name=commitments-0-committed_on]").fill("2026-01-01")
    _next(page)

    # The usual order is proposed: principal, then return of each tranche, then the payer.
    expect(page.locator("select[name=steps-2-kind]")).to_have_value("residual_to_payer")
    page.locator("input[name=example]").fill("800 000")
    page.get_by_role("button", name="Aperçu").click()
    preview = page.locator("#waterfall-preview")
    expect(preview.locator("tr[data-step='0']")).to_have_attribute("data-paid", "60000000")
    expect(preview.locator("tr[data-step='1']")).to_have_attribute("data-paid", "15000000")
    shots.take("the-waterfall-on-an-example-payment")
    _next(page)

    expect(page).to_have_url(re.compile(r"/steps/review/$"))
    expect(page.locator("#review-tranches")).to_be_visible()
    shots.take("the-review")
    assert not Programme.objects.exists()
    page.get_by_role("button", name="Créer le brouillon").click()
    expect(page).to_have_url(re.compile(r"/activation/$"))
    expect(page.locator("#share-total")).to_have_text("100 %")
    page.get_by_role("button", name="Activer le programme").click()
    expect(page.locator(".messages")).to_contain_text("Le programme est actif.")
    shots.take("the-active-programme")
    assert Programme.objects.get().status == ProgrammeStatus.ACTIVE
