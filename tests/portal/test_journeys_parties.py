"""Acceptance journeys of the parties, in a real browser against live_server and a real worker.

1. A public funder disputes a verified result, with a reason; the dispute is flagged; a
   lead evaluator amends the result, a second lead evaluator verifies the amendment (after
   its confirmation page); the funder accepts the amendment, and no dispute stays open.
   (Amending is a lead evaluator's right, and nobody verifies their own work: two leads.)
2. The fund manager records a payment received (confirmed), records the distribution the
   schedule proposes for that date (prefilled, confirmed: the difference reads zero),
   requests the public report and publishes it once the worker built it; an investor then
   finds on their page the distribution they received and downloads the published report.
3. A lead evaluator opens the evidence of a submission (its SHA-256 shown is the file's)
   before verifying it.
Each in French and in English; any console error fails (tests/portal/conftest.py); each
step's screenshot is kept under var/journeys/ (CI keeps var/ as its artefacts).
"""

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from outcomes.models import Result, ResultReview
from payments.models import LedgerTransaction, PaymentTerms
from reports.services import report_file_fields
from sib import services as sib
from sib.models import User
from tests.payments.schedule_support import SENIOR_JUNIOR
from tests.portal.conftest import PASSWORD
from tests.portal.journey_support import Shots, worker_idle
from tests.portal.test_browser import choose_language
from tests.reports.conftest import Bond, make_bond

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["fr", "en"]
TEXT = {
    "fr": {
        "decide": "Enregistrer ma décision",
        "decided": "Votre décision est enregistrée.",
        "amend": "Rectifier ce résultat",
        "submit_amendment": "Soumettre la rectification",
        "verify": "Vérifier ce résultat",
        "confirm_verify": "Vérifier et compter ce résultat",
        "no_dispute": "Aucune contestation en cours.",
        "record_payment": "Enregistrer le paiement",
        "confirm_payment": "Confirmer et enregistrer",
        "record_date": "Enregistrer les distributions de cette date",
        "review_distributions": "Vérifier les distributions",
        "record_distributions": "Enregistrer les distributions",
        "recorded": "Distributions enregistrées.",
        "request": "Demander le rapport",
        "ready": "Prêt",
        "publish": "Publier ce rapport",
        "published": "Le rapport est publié\u00a0: tout le monde peut le télécharger.",
        "log_out": "Se déconnecter",
        # What the pages print: the payment, and the bank's share of the senior principal.
        "payment": "5\u202f000,00\xa0€",
        "bank_share": "3\u202f377,84\xa0€",
        "bank_input": "3377,84",
        "zero": "0,00\xa0€",
        "principal": "Principal",
    },
    "en": {
        "decide": "Record my decision",
        "decided": "Your decision is recorded.",
        "amend": "Amend this result",
        "submit_amendment": "Submit the amendment",
        "verify": "Verify this result",
        "confirm_verify": "Verify and count this result",
        "no_dispute": "No open dispute.",
        "record_payment": "Record the payment",
        "confirm_payment": "Confirm and record",
        "record_date": "Record the distributions of this date",
        "review_distributions": "Review the distributions",
        "record_distributions": "Record the distributions",
        "recorded": "Distributions recorded.",
        "request": "Request the report",
        "ready": "Ready",
        "publish": "Publish this report",
        "published": "The report is published: anyone can download it.",
        "log_out": "Log out",
        "payment": "€5,000.00",
        "bank_share": "€3,377.84",
        "bank_input": "3377.84",
        "zero": "€0.00",
        "principal": "Principal",
    },
}


@dataclass
class Parties:
    bond: Bond
    second_lead: User


@pytest.fixture
def parties(worker) -> Iterator[Parties]:  # type: ignore[no-untyped-def]
    bond = make_bond("parties")
    # The demo's waterfall: what the payers pay goes to the senior lenders' principal first.
    PaymentTerms.objects.update_or_create(
        programme=bond.programme, defaults={"waterfall": SENIOR_JUNIOR}
    )
    second_lead = User.objects.create_user("parties-lead2")
    sib.membership_add(programme=bond.programme, user=second_lead, role="lead_evaluator")
    for user in User.objects.filter(username__startswith="parties-"):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    yield Parties(bond=bond, second_lead=second_lead)
    worker_idle()


class Journey:
    """One browser page walked by several users in turn, in one language."""

    def __init__(self, page: Page, live_server, log_in, bond: Bond, language: str, name: str):  # type: ignore[no-untyped-def]
        self.page, self.live_server, self.log_in = page, live_server, log_in
        self.bond, self.text = bond, TEXT[language]
        self.shots = Shots(page, f"{name}-{language}")
        # The language is the browser's choice, kept in a cookie across log-ins.
        page.goto(f"{live_server.url}/accounts/login/")
        if language == "en":
            choose_language(page, "en")
        self.user: User | None = None

    def as_user(self, user: User) -> None:
        if self.user is not None:
            self.page.get_by_role("button", name=self.text["log_out"]).click()
            self.page.wait_for_load_state()
        self.log_in(user.username)
        self.user = user

    def open(self, path: str) -> None:
        self.page.goto(f"{self.live_server.url}/programmes/{self.bond.programme.pk}/{path}")

    def shot(self, step: str) -> None:
        self.shots.take(step)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_funder_disputes_a_result_and_accepts_its_verified_amendment(
    page: Page, live_server, log_in, parties: Parties, language: str
):
    bond = parties.bond
    journey = Journey(page, live_server, log_in, bond, language, "funder-disputes-and-accepts")
    text = journey.text
    disputed = Result.objects.get(
        programme=bond.programme,
        metric__code="in-work-6m",
        cohort__code="c1",
        period__code="2026-h1",
    )

    # The funder finds the result in the queue of results awaiting their decision.
    journey.as_user(bond.funder)
    journey.open("results/verified/")
    journey.shot("results-awaiting-the-funders-decision")
    page.locator(f"tr[data-result='{disputed.pk}'] a").click()
    page.locator("input[name=review-verdict][value=disputed]").check()
    page.locator("textarea[name=review-comment]").fill("Deux participants comptés deux fois.")
    journey.shot("the-funder-disputes-with-a-reason")
    page.get_by_role("button", name=text["decide"]).click()
    expect(page.locator(".messages")).to_contain_text(text["decided"])
    expect(page.locator("[data-disputed]")).to_be_visible()
    journey.shot("the-result-is-flagged-disputed")

    # A lead evaluator finds it among the open disputes and amends it.
    journey.as_user(bond.lead)
    journey.open("results/")
    expect(page.locator(f"tr[data-result='{disputed.pk}'] [data-disputed]")).to_be_visible()
    journey.open("results/disputes/")
    row = page.locator(f"[data-disputes] tr[data-result='{disputed.pk}']")
    expect(row).to_contain_text("Deux participants comptés deux fois.")
    expect(row.locator("[data-payer]")).to_have_text(bond.orgs["etat"].name)
    journey.shot("the-open-disputes")
    row.locator("a").click()
    page.get_by_text(text["amend"]).click()
    page.locator("input[name=amend-value]").fill("40")
    page.locator("textarea[name=amend-reason]").fill("Deux doublons retirés.")
    journey.shot("the-lead-amends-the-result")
    page.get_by_role("button", name=text["submit_amendment"]).click()
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "submitted")
    amendment = Result.objects.get(amends=disputed)
    expect(page).to_have_url(re.compile(rf"/results/{amendment.pk}/$"))
    journey.shot("the-amendment-awaits-verification")

    # Another lead evaluator verifies the amendment, after its confirmation page.
    journey.as_user(parties.second_lead)
    journey.open("results/queue/")
    page.locator(f"tr[data-result='{amendment.pk}'] a").click()
    page.get_by_role("button", name=text["verify"]).click()
    expect(page.locator("[data-confirm]")).to_be_visible()
    # It takes the place of the disputed result: the two do not add up.
    expect(page.locator(f"[data-in-cell='{disputed.pk}']")).to_have_attribute(
        "data-effect", "supersedes"
    )
    journey.shot("the-amendment-confirmation-page")
    page.get_by_role("button", name=text["confirm_verify"]).click()
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "verified")
    journey.shot("the-amendment-is-verified")

    # The funder accepts the amendment; the disputed result no longer awaits anyone.
    journey.as_user(bond.funder)
    journey.open("results/verified/")
    expect(page.locator(f"tr[data-result='{disputed.pk}']")).to_have_count(0)
    page.locator(f"tr[data-result='{amendment.pk}'] a").click()
    page.locator("input[name=review-verdict][value=accepted]").check()
    page.get_by_role("button", name=text["decide"]).click()
    expect(page.locator(".messages")).to_contain_text(text["decided"])
    expect(page.locator("[data-disputed]")).to_have_count(0)
    journey.shot("the-funder-accepts-the-amendment")
    assert ResultReview.objects.get(result=amendment, reviewer=bond.funder).verdict == "accepted"

    # And the manager's list of open disputes is empty.
    journey.as_user(bond.manager)
    journey.open("results/disputes/")
    expect(page.locator("main")).to_contain_text(text["no_dispute"])
    expect(page.locator(f"tr[data-result='{disputed.pk}']")).to_have_count(0)
    journey.shot("no-dispute-stays-open")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_payment_is_distributed_and_the_investor_finds_it_and_the_published_report(
    page: Page, live_server, log_in, parties: Parties, language: str
):
    bond = parties.bond
    # The State has paid what it owed; a new result makes it owe 3 × 3 000 € × 70 % =
    # 6 300 €. The waterfall distributes money that met a due, never an advance not yet
    # applied (docs/ledger.md, "Advances"): the payment below settles dues.
    bond.verify("in-work-6m", "c1", "2026-h2", "3")
    journey = Journey(page, live_server, log_in, bond, language, "payment-to-the-investor")
    text = journey.text

    # The manager records a payment received, after its confirmation page.
    journey.as_user(bond.manager)
    journey.open("money/payment/")
    page.locator("select[name=payer]").select_option(label=bond.orgs["etat"].name)
    page.locator("input[name=amount]").fill("5000")
    paid_on = page.locator("input[name=received_on]").input_value()
    page.get_by_role("button", name=text["record_payment"]).click()
    expect(page.locator("[data-figure=amount]")).to_have_text(text["payment"])
    expect(page.locator("input[name=advance]")).to_have_count(0)
    journey.shot("the-payment-confirmation-page")
    page.get_by_role("button", name=text["confirm_payment"]).click()
    expect(page).to_have_url(re.compile(r"/money/schedule/$"))

    # The distributions of that date, prefilled from the schedule, confirmed, recorded.
    journey.open("money/distributions/")
    day = page.locator(f"section[data-date='{paid_on}']")
    expect(day.locator("[data-proposed]")).to_have_text(text["payment"])
    journey.shot("the-proposed-distributions")
    day.get_by_role("link", name=text["record_date"]).click()
    bank_line = page.get_by_label(
        re.compile(f"{text['principal']} — .* \\(senior\\) — Banque solidaire")
    )
    expect(bank_line).to_have_value(text["bank_input"])
    journey.shot("the-prefilled-distributions")
    page.get_by_role("button", name=text["review_distributions"]).click()
    expect(page.locator("[data-confirm] [data-total]")).to_have_text(text["payment"])
    journey.shot("the-distributions-confirmation-page")
    page.get_by_role("button", name=text["record_distributions"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(text["recorded"])
    expect(day.locator("[data-settled]")).to_be_visible()
    expect(day.locator("[data-recorded]")).to_have_text(text["payment"])
    expect(day.locator("[data-difference]")).to_have_text(text["zero"])
    journey.shot("the-distributions-are-recorded")
    assert LedgerTransaction.objects.filter(programme=bond.programme, kind="distribution").count()

    # The manager requests the public report of this state and publishes it once built.
    journey.open("reports/")
    page.locator("select[name=edition]").select_option("public")
    page.get_by_role("button", name=text["request"]).click()
    expect(page.locator("[data-status]")).to_have_text(text["ready"], timeout=120_000)
    page.get_by_role("button", name=text["publish"]).click()
    expect(page.locator(".messages")).to_contain_text(text["published"])
    journey.shot("the-report-is-published")
    head = page.locator("[data-report-head]").inner_text()

    # The investor (the bank) finds what it received, as recorded, and the report.
    journey.as_user(bond.investor)
    journey.open("money/mine/")
    expect(page.locator("[data-figure=principal_repaid]")).to_have_text(text["bank_share"])
    received = page.locator(f"[data-distribution][data-on='{paid_on}']")
    expect(received.locator("[data-amount]")).to_have_text(text["bank_share"])
    expect(received.locator("[data-step]")).to_contain_text(text["principal"])
    journey.shot("the-investor-finds-the-distribution")
    journey.open("reports/")
    journey.shot("the-investor-finds-the-published-report")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").first.click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert report_file_fields(pdf) == (head, bond.programme.slug)
    page.goto(f"{live_server.url}/published/{bond.programme.slug}/")
    expect(page.locator("main")).to_contain_text(head[:12])
    journey.shot("the-public-page-of-published-reports")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_lead_evaluator_opens_the_evidence_before_verifying(
    page: Page, live_server, log_in, parties: Parties, language: str, settings, tmp_path: Path
):
    from decimal import Decimal

    from outcomes import services as outcomes
    from outcomes.evidence import evidence_attach
    from outcomes.models import Cohort, MeasurementPeriod, Metric

    settings.MEDIA_ROOT = str(tmp_path)
    bond = parties.bond
    programme = bond.programme
    submitted = outcomes.result_submit(
        programme=programme,
        user=bond.evaluator,
        metric=Metric.objects.get(programme=programme, code="in-work-6m"),
        cohort=Cohort.objects.get(programme=programme, code="c1"),
        period=MeasurementPeriod.objects.get(programme=programme, code="2026-h2"),
        stage="interim",
        values=outcomes.ResultValues(value=Decimal(12)),
    )
    proof = b"%PDF-1.4\n% Attestations employeurs, cohorte 1, 2026 S2\n"
    evidence_attach(
        result=submitted,
        user=bond.evaluator,
        uploaded=SimpleUploadedFile("attestations.pdf", proof, "application/pdf"),
    )
    sha256 = hashlib.sha256(proof).hexdigest()

    journey = Journey(page, live_server, log_in, bond, language, "lead-opens-the-evidence")
    text = journey.text
    journey.as_user(bond.lead)
    journey.open("results/queue/")
    page.locator(f"tr[data-result='{submitted.pk}'] a").click()
    evidence = page.locator("#evidence-title + ul li")
    expect(evidence).to_contain_text(sha256)
    journey.shot("the-result-and-its-evidence")
    with page.expect_download() as download:
        evidence.get_by_role("link", name="attestations.pdf").click()
    assert hashlib.sha256(Path(download.value.path()).read_bytes()).hexdigest() == sha256
    page.get_by_role("button", name=text["verify"]).click()
    expect(page.locator("[data-confirm]")).to_be_visible()
    expect(page.locator("main")).to_contain_text("attestations.pdf")
    journey.shot("the-confirmation-page-with-the-evidence")
    page.get_by_role("button", name=text["confirm_verify"]).click()
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "verified")
    journey.shot("the-result-is-verified")
