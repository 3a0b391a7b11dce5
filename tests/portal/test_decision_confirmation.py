"""A lead evaluator's verify or reject shows the result's figures on a confirmation page
first; only the confirmed post decides, once. What verifying would pay each payer is on
the fund manager's result page, never on an evaluator's."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from outcomes.evidence import evidence_attach
from outcomes.models import Result, ResultDecision
from outcomes.services import ResultValues, result_amend
from payments.position import programme_position
from sib.models import User
from sib.money import format_money
from tests.cast import Cast
from tests.portal.objects import submitted_result, verified_result

pytestmark = pytest.mark.django_db


def client_for(user: User, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def result(cast: Cast) -> Result:
    """A final result of 14 submitted by the evaluator, with its evidence, in a cell
    (in-work × c1 × 2026) where a result of 12 is already verified."""
    result = Result.objects.get(pk=submitted_result(cast.own))
    evidence_attach(
        result=result,
        user=result.submitted_by,
        uploaded=SimpleUploadedFile("attestation.pdf", b"%PDF-1.4 attestation", "application/pdf"),
    )
    return result


def _post(cast: Cast, result: Result, language: str = "en", **fields: str):  # type: ignore[no-untyped-def]
    url = reverse("outcomes_portal:result-detail", args=[cast.own.pk, result.pk])
    return client_for(cast.users["lead_evaluator"], language).post(url, fields)


def test_the_first_verify_post_shows_the_figures_and_decides_nothing(cast, result):
    response = _post(cast, result, action="verify", **{"verify-comment": "Checked"})
    html = response.content.decode()
    assert response.status_code == 200 and "data-confirm" in html
    assert 'data-figure="metric">In work' in html
    assert 'data-figure="cohort">Cohort 1<' in html
    assert 'data-figure="period">2026<' in html
    assert 'data-figure="value">14<' in html
    assert 'data-figure="stage">Final<' in html
    assert "attestation.pdf" in html
    # The cell already holds a verified interim of 12: the page says so before it counts,
    # and that this final replaces it (outcomes.cells).
    already = verified_result(cast.own)
    assert f'data-in-cell="{already}" data-effect="replaces"' in html
    assert "This final result replaces it for payment" in html
    assert 'name="verify-confirmed" value="on"' in html
    assert 'name="verify-comment" value="Checked"' in html
    assert not ResultDecision.objects.filter(result=result).exists()


def test_the_confirmed_verify_post_decides_once(cast, result):
    confirmed = {"action": "verify", "verify-comment": "Checked", "verify-confirmed": "on"}
    first = _post(cast, result, **confirmed)
    assert first.status_code == 302
    decision = ResultDecision.objects.get(result=result)
    assert (decision.decision, decision.comment) == ("verified", "Checked")
    # The same confirmation posted twice (a double click, a reload) decides nothing more.
    again = _post(cast, result, **confirmed)
    assert again.status_code == 302
    assert ResultDecision.objects.filter(result=result).count() == 1


def test_the_first_reject_post_shows_the_reason_and_decides_nothing(cast, result):
    response = _post(cast, result, action="reject", **{"reject-comment": "Counts double"})
    html = response.content.decode()
    assert response.status_code == 200 and "data-confirm" in html
    assert 'data-figure="value">14<' in html
    assert "Counts double" in html
    assert 'name="reject-confirmed" value="on"' in html
    assert not ResultDecision.objects.filter(result=result).exists()


def test_a_reject_without_reason_stays_on_the_result_page_with_the_error(cast, result):
    response = _post(cast, result, action="reject", **{"reject-comment": ""})
    html = response.content.decode()
    assert response.status_code == 200 and "data-confirm" not in html
    assert 'name="reject-comment"' in html and "This field is required." in html
    assert not ResultDecision.objects.filter(result=result).exists()


def test_the_confirmed_reject_post_rejects_once(cast, result):
    confirmed = {"action": "reject", "reject-comment": "Counts double", "reject-confirmed": "on"}
    assert _post(cast, result, **confirmed).status_code == 302
    assert _post(cast, result, **confirmed).status_code == 302
    decisions = ResultDecision.objects.filter(result=result)
    assert [d.decision for d in decisions] == ["rejected"]


def test_the_confirmation_page_is_french_on_a_french_page(cast, result):
    response = _post(cast, result, "fr", action="verify", **{"verify-comment": ""})
    html = response.content.decode()
    assert "Confirmer la vérification" in html
    assert "Vérifier et compter ce résultat" in html
    assert 'data-figure="stage">Final<' in html  # « Final » is the same word in French
    assert "Un résultat vérifié existe déjà pour cette case" in html
    assert "Ce résultat final le remplace pour le paiement" in html
    english_texts = ("Confirm the verification", "Verify and", "already exists", "replaces it")
    for english in english_texts:
        assert english not in html
    rejected = _post(cast, result, "fr", action="reject", **{"reject-comment": "Doublon"})
    html = rejected.content.decode()
    assert "Confirmer le rejet" in html and "Rejeter ce résultat" in html
    assert "Confirm the rejection" not in html


def _manager_page(cast: Cast, result: Result, language: str = "en") -> str:
    url = reverse("outcomes_portal:result-detail", args=[cast.own.pk, result.pk])
    return client_for(cast.users["fund_manager"], language).get(url).content.decode()


def test_the_verify_confirmation_shows_the_lead_the_cell_and_no_money(cast, result):
    """An evaluator verifies outcomes independently of what they pay (DOMAIN.md): the lead's
    confirmation says what the result does to its cell, and no payer's figure."""
    html = _post(cast, result, action="verify", **{"verify-comment": ""}).content.decode()
    assert "data-in-cell=" in html
    assert "data-payer" not in html and "What each payer will owe" not in html


def test_the_managers_result_page_shows_what_each_payer_will_owe_as_verifying_books_it(
    cast, result
):
    before = {p.payer: p.due for p in programme_position(programme=cast.own).payers}
    html = _manager_page(cast, result)
    shown = dict(re.findall(r'<tr data-payer="([^"]+)" data-due-after="(\d+)">', html))
    assert shown and "What each payer will owe" in html
    assert any(int(after) > before.get(payer, 0) for payer, after in shown.items())

    _post(cast, result, action="verify", **{"verify-comment": "", "verify-confirmed": "on"})
    booked = {p.payer: p.due for p in programme_position(programme=cast.own).payers}
    assert {payer: int(after) for payer, after in shown.items()} == {
        payer: booked[payer] for payer in shown
    }


def test_the_reject_confirmation_shows_no_payment_figures(cast, result):
    html = _post(cast, result, action="reject", **{"reject-comment": "x"}).content.decode()
    assert "data-payer" not in html


def test_the_payers_figures_read_in_french(cast, result):
    html = _manager_page(cast, result, "fr")
    assert "Ce que chaque payeur devra" in html and "What each payer will owe" not in html


def test_an_amendments_preview_counts_only_the_difference_from_what_it_replaces(cast):
    # 12 verified, amended to 13: verifying the amendment adds one outcome (3 000 €),
    # not 13, because the amendment replaces the result it amends.
    verified = Result.objects.get(pk=verified_result(cast.own))
    amendment = result_amend(
        result=verified,
        user=verified.submitted_by,
        reason="One participant missed",
        stage="final",
        values=ResultValues(value=Decimal(13)),
    )
    before = sum(p.due for p in programme_position(programme=cast.own).payers)
    html = _manager_page(cast, amendment)
    assert 'data-figure="total_change">€3,000.00<' in html
    m = lambda amount: format_money(amount, "EUR", "en")  # noqa: E731
    assert f'data-figure="total_due">{m(before)}<' in html  # the totals read across
    assert f'data-figure="total_after">{m(before + 300_000)}<' in html
    confirm = _post(cast, amendment, action="verify", **{"verify-comment": ""}).content.decode()
    assert (
        f'data-figure="amends"><a href="/programmes/{cast.own.pk}/results/{verified.pk}/"'
        in confirm
    )

    _post(cast, amendment, action="verify", **{"verify-comment": "", "verify-confirmed": "on"})
    after = sum(p.due for p in programme_position(programme=cast.own).payers)
    assert after - before == 300_000
