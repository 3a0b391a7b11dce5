"""A service's refusal (sib.exceptions) reaches the portal page as its own message."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from outcomes.models import Evidence, Result
from tests.portal.objects import verified_result

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _post_evidence(cast, language: str):  # type: ignore[no-untyped-def]
    result = Result.objects.get(pk=verified_result(cast.own))
    client = Client()
    client.force_login(result.submitted_by)
    client.cookies["django_language"] = language
    url = reverse(
        "outcomes_portal:result-detail",
        kwargs={"programme_id": cast.own.pk, "result_id": result.pk},
    )
    response = client.post(
        url,
        {"action": "evidence", "evidence-file": SimpleUploadedFile("proof.pdf", PDF)},
        follow=True,
    )
    return result, response


def test_evidence_for_a_verified_result_shows_the_services_conflict_on_the_page(cast):
    result, response = _post_evidence(cast, "en")
    assert response.status_code == 200
    assert response.redirect_chain  # back to the result, with the message
    html = response.content.decode()
    assert "Evidence goes with a result awaiting its decision; this one is verified." in html
    # Only the document attached before the verification (tests.portal.objects) stays.
    assert not Evidence.objects.filter(result=result, original_name="proof.pdf").exists()


def test_the_services_conflict_is_shown_in_the_pages_language(cast):
    _, response = _post_evidence(cast, "fr")
    html = response.content.decode()
    assert "Evidence goes with" not in html
    assert "Les pièces justificatives accompagnent un résultat en attente de décision" in html
