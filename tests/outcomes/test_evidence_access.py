"""Evidence can be opened and backs the verification (issue 14, part 3).

Reproduces the holes: evidence could be uploaded but never opened (no download route in
the portal or the API), and the lead verified with no evidence at all although the metric
says evidence is required.
"""

import base64
import hashlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from outcomes import services
from outcomes.evidence import evidence_attach
from outcomes.models import Cohort, Evidence, MeasurementPeriod, Metric, Result
from sib.exceptions import Conflict

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4 certificat de formation"


def _submitted(cast, user, cohort: str = "c1") -> Result:  # type: ignore[no-untyped-def]
    programme = cast.programme
    return services.result_submit(
        programme=programme,
        user=user,
        metric=Metric.objects.get(programme=programme, code="in-work-6m"),
        cohort=Cohort.objects.get(programme=programme, code=cohort),
        period=MeasurementPeriod.objects.get(programme=programme, code="2026-h1"),
        stage="interim",
        values=services.ResultValues(value=3),
    )


def _attached(cast, result: Result) -> Evidence:  # type: ignore[no-untyped-def]
    return evidence_attach(
        result=result,
        user=cast.evaluator,
        uploaded=SimpleUploadedFile("certificat.pdf", PDF, "application/pdf"),
    )


def _require_evidence(cast) -> None:  # type: ignore[no-untyped-def]
    Metric.objects.filter(programme=cast.programme, code="in-work-6m").update(
        evidence_required="Contrat de travail"
    )


def _url(cast, result: Result, evidence: Evidence, api: bool) -> str:  # type: ignore[no-untyped-def]
    prefix = "/api" if api else ""
    return f"{prefix}/programmes/{cast.programme.pk}/results/{result.pk}/evidence/{evidence.pk}/"


def _portal(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.mark.parametrize("api", [True, False], ids=["api", "portal"])
def test_the_lead_opens_the_evidence_as_attached(cast, api: bool):
    result = _submitted(cast, cast.evaluator)
    evidence = _attached(cast, result)
    client = cast.client(cast.lead) if api else _portal(cast.lead)
    answer = client.get(_url(cast, result, evidence, api))
    assert answer.status_code == 200
    body = b"".join(answer.streaming_content)
    assert body == PDF
    assert answer["Content-Type"] == "application/pdf"
    assert 'filename="certificat.pdf"' in answer["Content-Disposition"]
    digest = base64.b64encode(hashlib.sha256(PDF).digest()).decode()
    assert answer["Repr-Digest"] == f"sha-256=:{digest}:"


def test_the_result_page_links_the_evidence_with_its_digest(cast):
    result = _submitted(cast, cast.evaluator)
    evidence = _attached(cast, result)
    page = _portal(cast.lead).get(f"/programmes/{cast.programme.pk}/results/{result.pk}/")
    assert _url(cast, result, evidence, api=False).encode() in page.content
    assert evidence.sha256.encode() in page.content


@pytest.mark.parametrize("api", [True, False], ids=["api", "portal"])
def test_a_funder_and_a_stranger_cannot_open_evidence(cast, api: bool):
    result = _submitted(cast, cast.evaluator)
    evidence = _attached(cast, result)
    services.result_verify(result=result, user=cast.lead)
    url = _url(cast, result, evidence, api)
    funder = cast.client(cast.funder) if api else _portal(cast.funder)
    stranger = cast.client(cast.stranger) if api else _portal(cast.stranger)
    assert funder.get(url).status_code == 403
    assert stranger.get(url).status_code == 404


def test_evidence_of_another_result_is_not_found(cast):
    first = _submitted(cast, cast.evaluator)
    evidence = _attached(cast, first)
    other = _submitted(cast, cast.lead, cohort="c2")  # another cell (outcomes.cells)
    wrong = f"/api/programmes/{cast.programme.pk}/results/{other.pk}/evidence/{evidence.pk}/"
    assert cast.client(cast.lead2).get(wrong).status_code == 404


def test_a_document_changed_on_disk_is_not_served(cast):
    result = _submitted(cast, cast.evaluator)
    evidence = _attached(cast, result)
    with default_storage.open(evidence.file.name, "wb") as handle:
        handle.write(b"%PDF-1.4 forged")
    answer = cast.client(cast.lead).get(_url(cast, result, evidence, api=True))
    assert answer.status_code == 409
    assert answer.json()["code"] == "evidence_altered"


def test_a_metric_that_requires_evidence_is_not_verified_without_it(cast):
    _require_evidence(cast)
    result = _submitted(cast, cast.evaluator)
    with translation.override("en"):
        with pytest.raises(Conflict) as refused:
            services.result_verify(result=result, user=cast.lead)
        message = str(refused.value)  # a lazy text: read in the language it is asserted in
    assert "Contrat de travail" in message
    assert "none is attached" in message
    assert not hasattr(Result.objects.get(pk=result.pk), "decision")

    _attached(cast, result)
    services.result_verify(result=result, user=cast.lead)
    assert Result.objects.get(pk=result.pk).decision.decision == "verified"


def test_a_result_without_evidence_can_still_be_rejected(cast):
    _require_evidence(cast)
    result = _submitted(cast, cast.evaluator)
    services.result_reject(result=result, user=cast.lead, comment="Pas de justificatif.")
    assert Result.objects.get(pk=result.pk).decision.decision == "rejected"
