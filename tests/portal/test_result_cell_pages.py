"""The submit page says what a result does to the other results of its cell (outcomes.cells)
before it is made, and refuses a second result that is neither a final nor declared."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from outcomes import services as outcomes
from outcomes.evidence import evidence_attach
from outcomes.models import Result
from sib.models import Membership, Role, User
from tests.cast import Cast
from tests.portal.objects import submitted_result, verified_result

pytestmark = pytest.mark.django_db


def _submit(cast: Cast, language: str = "en", **fields: str):  # type: ignore[no-untyped-def]
    already = Result.objects.get(pk=verified_result(cast.own))
    client = Client()
    client.force_login(User.objects.get(pk=already.submitted_by_id))
    client.cookies["django_language"] = language
    data = {
        "metric": already.metric_id,
        "cohort": already.cohort_id,
        "period": already.period_id,
        "value": "25",
        **fields,
    }
    url = reverse("outcomes_portal:result-submit", kwargs={"programme_id": cast.own.pk})
    return already, client.post(url, data)


def test_a_final_after_a_verified_interim_is_shown_replacing_it_before_it_is_made(cast):
    already, response = _submit(cast, stage="final")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-in-cell="{already.pk}" data-effect="replaces"' in html
    assert 'name="confirmed" value="on"' in html
    assert Result.objects.filter(programme=cast.own).count() == 1

    _, confirmed = _submit(cast, stage="final", confirmed="on")
    assert confirmed.status_code == 302
    assert Result.objects.filter(programme=cast.own, stage="final").count() == 1


def test_a_second_interim_is_refused_on_the_page_in_french(cast):
    already, response = _submit(cast, "fr", stage="interim")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Le résultat n° {already.pk} (intermédiaire) existe déjà" in html
    assert Result.objects.filter(programme=cast.own).count() == 1


def test_a_declared_additional_interim_is_shown_adding_then_made(cast):
    fields = {"stage": "interim", "additional": "on", "additional_reason": "second site"}
    already, response = _submit(cast, **fields)
    assert f'data-in-cell="{already.pk}" data-effect="adds"' in response.content.decode()
    _, confirmed = _submit(cast, confirmed="on", **fields)
    assert confirmed.status_code == 302
    extra = Result.objects.get(programme=cast.own, additional=True)
    assert extra.additional_reason == "second site"


def _verified_final(cast: Cast) -> tuple[Result, Result]:
    """The cell's verified interim (12) and its final (14), verified by the lead."""
    interim = Result.objects.get(pk=verified_result(cast.own))
    final = Result.objects.get(programme=cast.own, stage="final")
    evidence_attach(
        result=final,
        user=final.submitted_by,
        uploaded=SimpleUploadedFile("final.pdf", b"%PDF-1.4 final", "application/pdf"),
    )
    lead = Membership.objects.get(programme=cast.own, role=Role.LEAD_EVALUATOR).user
    outcomes.result_verify(result=final, user=lead)
    return interim, final


def _page(cast: Cast, url: str, language: str) -> str:
    client = Client()
    client.force_login(Membership.objects.get(programme=cast.own, role=Role.FUND_MANAGER).user)
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_an_interim_replaced_by_its_cells_final_says_it_counts_for_nothing(cast):
    interim = Result.objects.get(pk=verified_result(cast.own))
    submitted_result(cast.own)
    detail = reverse(
        "outcomes_portal:result-detail",
        kwargs={"programme_id": cast.own.pk, "result_id": interim.pk},
    )
    # A final only submitted replaces nothing yet.
    assert "data-replaced-by" not in _page(cast, detail, "en")

    _, final = _verified_final(cast)
    html = _page(cast, detail, "fr")
    assert f'data-replaced-by="{final.pk}"' in html
    assert "Remplacé par le résultat final <a href=" in html
    listed = _page(
        cast, reverse("outcomes_portal:result-list", kwargs={"programme_id": cast.own.pk}), "en"
    )
    assert f"Replaced by final result {final.pk}: not counted" in listed
    # The final itself is counted: nothing replaces it.
    assert listed.count("data-replaced-by") == 1


def test_verifying_an_amendment_says_it_replaces_the_result_it_amends(cast):
    # The confirmation page said "Both count for payment" of the very result amended.
    amended = Result.objects.get(pk=verified_result(cast.own))
    lead = Membership.objects.get(programme=cast.own, role=Role.LEAD_EVALUATOR).user
    amendment = outcomes.result_amend(
        result=amended,
        user=lead,
        reason="two counted twice",
        stage=None,
        values=outcomes.ResultValues(value=amended.value - 2),
    )
    second_lead = User.objects.create_user("portal-second-lead")
    Membership.objects.create(user=second_lead, programme=cast.own, role=Role.LEAD_EVALUATOR)
    client = Client()
    client.force_login(second_lead)
    client.cookies["django_language"] = "fr"
    url = reverse(
        "outcomes_portal:result-detail",
        kwargs={"programme_id": cast.own.pk, "result_id": amendment.pk},
    )
    html = client.post(url, {"action": "verify"}).content.decode()
    assert f'data-in-cell="{amended.pk}" data-effect="supersedes"' in html
    assert "Cette rectification le remplace pour le paiement" in html
