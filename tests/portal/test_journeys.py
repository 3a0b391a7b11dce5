"""The portal's acceptance journeys, in a real browser against live_server and a real worker.

1. A fund manager records a drawdown and a payment received and sees the schedule move.
2. An evaluator uploads a CSV with errors, reads the row messages, fixes the file and
   uploads it again; a lead evaluator verifies the result; the evaluator finds no verify
   button on it and the server refuses the post anyway.
3. A public funder sees the new outcome, requests the public report, waits for the
   worker to build it, downloads it: a PDF whose chain head is the page footer's.
Each in French and in English; any console error fails (tests/portal/conftest.py).
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from payments.models import Drawdown, LedgerTransaction
from reports.services import report_file_fields
from sib.models import User
from tests.portal.conftest import PASSWORD
from tests.portal.journey_support import worker_idle
from tests.portal.test_browser import choose_language
from tests.reports.conftest import Bond, make_bond

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["fr", "en"]
TEXT = {
    "fr": {
        "record_drawdown": "Enregistrer l’appel de fonds",
        "record_payment": "Enregistrer le paiement",
        "confirm_payment": "Confirmer et enregistrer",
        "upload": "Déposer et vérifier",
        "verify": "Vérifier ce résultat",
        "confirm_verify": "Vérifier et compter ce résultat",
        "request": "Demander le rapport",
        "download": "Télécharger le PDF",
        "confirm_import": "Confirmer l’import",
        "brings": "12 fiches participants",
        "imported": "12 fiches importées.",
        "ready": "Prêt",
    },
    "en": {
        "record_drawdown": "Record the drawdown",
        "record_payment": "Record the payment",
        "confirm_payment": "Confirm and record",
        "upload": "Upload and check",
        "verify": "Verify this result",
        "confirm_verify": "Verify and count this result",
        "request": "Request the report",
        "download": "Download the PDF",
        "confirm_import": "Confirm the import",
        "brings": "12 participant records",
        "imported": "12 records imported.",
        "ready": "Ready",
    },
}
HEADER = "participant_id,metric,cohort,period,date_achieved\n"
GOOD_ROWS = "".join(f"PRV-{n:04d},in-work-6m,c1,2026-h2,2026-09-{n + 1:02d}\n" for n in range(12))
BAD_ROWS = "PRV-0100,in-work-6m,c9,2026-h2,2026-09-01\nPRV-0101,in-work-6m,c1,2026-h2,2026-13-01\n"


@pytest.fixture
def bond(worker) -> Iterator[Bond]:  # type: ignore[no-untyped-def]
    bond = make_bond("portal-bond")
    for user in User.objects.filter(username__startswith="portal-bond-"):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    yield bond
    worker_idle()


def start(page: Page, live_server, log_in, user: User, language: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/accounts/login/")
    if language == "en":
        choose_language(page, "en")
    log_in(user.username)


def money_page(live_server, bond: Bond, name: str) -> str:  # type: ignore[no-untyped-def]
    return f"{live_server.url}/programmes/{bond.programme.pk}/{name}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_fund_manager_records_a_drawdown_and_a_payment_and_the_schedule_moves(
    page: Page, live_server, log_in, bond: Bond, language: str
):
    text = TEXT[language]
    start(page, live_server, log_in, bond.manager, language)
    bank = bond.orgs["bank"].slug
    page.goto(money_page(live_server, bond, "money/schedule/"))
    drawn = page.locator(f"tr[data-investor='{bank}'] [data-drawn]")
    drawn_before = drawn.inner_text()
    received_before = page.locator("[data-figure=received]").inner_text()

    page.goto(money_page(live_server, bond, "money/drawdown/"))
    page.locator("select[name=commitment]").select_option(label="Banque solidaire — Senior")
    page.locator("input[name=amount]").fill("10 000")
    # The tests' "today" (2031-06-30, tests/conftest.py) is past the contract's end, when
    # no capital may be called any more: the call is dated inside the contract.
    page.locator("input[name=called_on]").fill("2026-11-30")
    before = Drawdown.objects.count()
    # A double click posts once (portal.js), and the form's key would record once anyway.
    page.get_by_role("button", name=text["record_drawdown"]).dblclick()
    expect(page).to_have_url(re.compile(r"/money/schedule/$"))
    assert Drawdown.objects.count() == before + 1
    expect(drawn).not_to_have_text(drawn_before)
    expect(drawn).to_contain_text("322")  # 312 345,67 + 10 000

    page.goto(money_page(live_server, bond, "money/payment/"))
    page.locator("select[name=payer]").select_option(label=bond.orgs["etat"].name)
    page.locator("input[name=amount]").fill("5000")
    key = page.locator("input[name=idempotency_key]").input_value()
    page.get_by_role("button", name=text["record_payment"]).click()
    # The figures come first; the payment is recorded once confirmed (as an advance for
    # any part above what the State owes now).
    expect(page.locator("[data-confirm]")).to_be_visible()
    if page.locator("input[name=advance]").count():
        page.locator("input[name=advance]").check()
    page.get_by_role("button", name=text["confirm_payment"]).click()
    expect(page).to_have_url(re.compile(r"/money/schedule/$"))
    expect(page.locator("[data-figure=received]")).not_to_have_text(received_before)
    assert LedgerTransaction.objects.filter(idempotency_key=key).count() == 1
    # The footer's chain head moved with the two postings, and the schedule with it.
    head = page.locator("footer [data-chain-head]").inner_text()
    expect(page.locator("[data-schedule-head]")).to_have_text(head[:12])


@pytest.mark.parametrize("language", LANGUAGES)
def test_evaluator_fixes_a_refused_csv_and_a_lead_evaluator_verifies_it(
    page: Page, live_server, log_in, bond: Bond, language: str, tmp_path: Path, browser
):
    text = TEXT[language]
    start(page, live_server, log_in, bond.evaluator, language)
    page.goto(money_page(live_server, bond, "results/import/"))
    bad = tmp_path / "participants.csv"
    bad.write_text(HEADER + GOOD_ROWS + BAD_ROWS, encoding="utf-8")
    page.locator("input[name=file]").set_input_files(str(bad))
    page.get_by_role("button", name=text["upload"]).click()
    errors = page.locator("[data-import-errors] tbody tr")
    expect(errors).to_have_count(2)
    expect(page.locator("[data-rule=unknown_cohort] th")).to_have_text("14")
    expect(page.locator("[data-rule=bad_date] th")).to_have_text("15")
    expect(page.locator("[data-rule=bad_date]")).to_contain_text("date_achieved")

    good = tmp_path / "participants-fixed.csv"
    good.write_text(HEADER + GOOD_ROWS, encoding="utf-8")
    page.locator("input[name=file]").set_input_files(str(good))
    page.get_by_role("button", name=text["upload"]).click()
    # Checked, not imported: the page says what the file makes; the import waits for
    # the confirmation.
    expect(page.locator("[data-total=records]")).to_have_text(text["brings"])
    expect(page.locator("[data-import-cells] > li")).to_have_count(1)
    expect(page.locator("[data-import-money]")).to_have_count(0)  # an evaluator
    page.get_by_role("button", name=text["confirm_import"]).click()
    expect(page.get_by_role("status").first).to_contain_text(text["imported"])
    page.locator("[data-result] a").first.click()
    result_url = page.url
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "submitted")
    expect(page.get_by_role("button", name=text["verify"])).to_have_count(0)
    # The server refuses the post the page does not offer.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    refused = page.request.post(result_url, form={"csrfmiddlewaretoken": token, "action": "verify"})
    assert refused.status == 403

    lead_context = browser.new_context(locale="fr-FR")
    lead = lead_context.new_page()
    lead.goto(f"{live_server.url}/accounts/login/")
    if language == "en":
        choose_language(lead, "en")
    lead.locator("input[name=username]").fill(bond.lead.username)
    lead.locator("input[name=password]").fill(PASSWORD)
    lead.locator("form.stacked button[type=submit]").click()
    lead.goto(money_page(live_server, bond, "results/queue/"))
    lead.locator("[data-result] a").first.click()
    expect(lead).to_have_url(result_url)
    lead.get_by_role("button", name=text["verify"]).click()
    # The figures first; the verification only once confirmed.
    expect(lead.locator("[data-confirm]")).to_be_visible()
    lead.get_by_role("button", name=text["confirm_verify"]).click()
    expect(lead.locator("[data-state]")).to_have_attribute("data-state", "verified")
    lead_context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_funder_sees_the_outcome_and_downloads_the_report_of_this_state(
    page: Page, live_server, log_in, bond: Bond, language: str
):
    from decimal import Decimal

    from outcomes import services as outcomes
    from outcomes.models import Cohort, MeasurementPeriod, Metric

    new = outcomes.result_submit(
        programme=bond.programme,
        user=bond.evaluator,
        metric=Metric.objects.get(programme=bond.programme, code="in-work-6m"),
        cohort=Cohort.objects.get(programme=bond.programme, code="c1"),
        period=MeasurementPeriod.objects.get(programme=bond.programme, code="2026-h2"),
        stage="interim",
        values=outcomes.ResultValues(value=Decimal(12)),
    )
    outcomes.result_verify(result=new, user=bond.lead)

    text = TEXT[language]
    start(page, live_server, log_in, bond.funder, language)
    page.goto(money_page(live_server, bond, "outcomes/"))
    metric = page.locator("[data-metric=in-work-6m]")
    expect(metric.locator("tr", has_text="2026 S2").locator("[data-achieved]")).to_have_text("12")
    expect(metric.locator("img")).to_be_visible()

    page.goto(money_page(live_server, bond, "reports/"))
    page.get_by_role("button", name=text["request"]).click()
    expect(page.locator("[data-status]")).to_have_text(text["ready"], timeout=120_000)
    with page.expect_download() as download_info:
        page.get_by_role("link", name=text["download"]).click()
    pdf = Path(download_info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    head, slug = report_file_fields(pdf)
    assert slug == bond.programme.slug
    expect(page.locator("footer [data-chain-head]")).to_have_text(head)
    expect(page.locator("[data-report-head]")).to_have_text(head)
