"""The services' refusals reach the portal in the page's language, the API in the client's."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes import services as outcomes
from outcomes.models import Evidence, Result, ResultDecision
from payments import services as payments
from payments.models import Commitment, Drawdown
from sib.models import User
from tests.cast import Cast
from tests.portal.objects import submitted_result, verified_result

pytestmark = pytest.mark.django_db

NBSP, NNBSP = "\u00a0", "\u202f"  # French money: 5 000,00 € (narrow space in the thousands)


def client_for(user: User, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def commitment_of_5000_euros(cast: Cast) -> Commitment:
    tranche = payments.tranche_create(
        programme=cast.own,
        key="senior",
        name="Senior",
        kind="senior_loan",
        priority=1,
        cap_type="annual_rate",
        cap_value=Decimal("0.05"),
    )
    assert cast.investor_org is not None
    return payments.commitment_create(
        tranche=tranche, investor=cast.investor_org, amount=500_000, committed_on=date(2026, 1, 1)
    )


def test_a_drawdown_above_the_commitment_is_refused_in_french_on_the_portal(cast):
    commitment = commitment_of_5000_euros(cast)
    url = reverse("payments_portal:drawdown-record", kwargs={"programme_id": cast.own.pk})
    response = client_for(cast.users["fund_manager"], "fr").post(
        url,
        {
            "commitment": commitment.pk,
            "called_on": "2026-02-01",
            "amount": "6000",
            "idempotency_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200  # the form again, with the refusal beside the amount
    html = response.content.decode()
    five, six = f"5{NNBSP}000,00{NBSP}€", f"6{NNBSP}000,00{NBSP}€"
    assert (
        f"Il ne reste que {five} à appeler sur l’engagement de {five}\u00a0; "
        f"la demande porte sur {six}." in html
    )
    assert "left to draw" not in html
    assert not Drawdown.objects.exists()


def test_the_api_gives_the_same_refusal_in_english_when_asked_under_the_same_field(cast):
    commitment = commitment_of_5000_euros(cast)
    url = reverse("api:drawdown-create", kwargs={"programme_id": cast.own.pk})
    body = {"commitment": commitment.pk, "called_on": "2026-02-01", "amount": 600_000}
    answers = {}
    for language in ("en", "fr"):
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        client.force_authenticate(cast.users["fund_manager"])
        response = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=language)
        assert response.status_code == 400
        answers[language] = response.json()["errors"]
    assert answers["en"] == [
        {
            "field": "amount",
            "message": "Only €5,000.00 of the commitment €5,000.00 is left to draw; "
            "€6,000.00 was asked.",
        }
    ]
    # Same key for the client to act on; French is the default for a client that asks nothing.
    assert [error["field"] for error in answers["fr"]] == ["amount"]
    assert answers["fr"][0]["message"].startswith("Il ne reste que 5")
    assert not Drawdown.objects.exists()


def test_verifying_a_result_already_verified_says_so_in_french(cast):
    # Two lead evaluators open the same result; the second "verify" arrives after the first.
    result_id = verified_result(cast.own)
    url = reverse(
        "outcomes_portal:result-detail",
        kwargs={"programme_id": cast.own.pk, "result_id": result_id},
    )
    client = client_for(cast.users["lead_evaluator"], "fr")
    response = client.post(
        url, {"action": "verify", "verify-comment": "", "verify-confirmed": "on"}, follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ce résultat a déjà été vérifié ou rejeté." in html
    assert "already been verified" not in html
    assert ResultDecision.objects.filter(result_id=result_id).count() == 1


def test_a_lead_evaluator_verifying_their_own_amendment_is_told_why_in_french(cast):
    # The page offers no "verify" on one's own submission; a stale or crafted form is
    # refused by the service, and the 403 page gives the four-eyes rule, not a role.
    lead = cast.users["lead_evaluator"]
    amendment = outcomes.result_amend(
        result=Result.objects.get(pk=verified_result(cast.own)),
        user=lead,
        reason="Recount",
        stage="final",
        values=outcomes.ResultValues(value=Decimal(13)),
    )
    url = reverse(
        "outcomes_portal:result-detail",
        kwargs={"programme_id": cast.own.pk, "result_id": amendment.pk},
    )
    response = client_for(lead, "fr").post(
        url, {"action": "verify", "verify-comment": "", "verify-confirmed": "on"}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "vous ne pouvez ni vérifier ni rejeter votre propre soumission" in html
    assert "ne donne pas accès" not in html  # not the generic "your role does not allow"
    assert not ResultDecision.objects.filter(result=amendment).exists()


def test_a_refused_document_is_explained_in_french_beside_the_file(cast):
    result_id = submitted_result(cast.own)
    url = reverse(
        "outcomes_portal:result-detail",
        kwargs={"programme_id": cast.own.pk, "result_id": result_id},
    )
    upload = SimpleUploadedFile("notes.txt", b"not a document", content_type="application/pdf")
    response = client_for(cast.users["evaluator"], "fr").post(
        url, {"action": "evidence", "evidence-file": upload}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Documents acceptés\u00a0: PDF, PNG, JPEG, fichiers bureautiques, CSV." in html
    assert not Evidence.objects.filter(result_id=result_id).exists()
