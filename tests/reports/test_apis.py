"""Report API: request, poll, download, publish, public URLs, verify an upload."""

import base64
import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reports import services
from reports.models import Report
from tests.reports.conftest import Bond

BASE = "/api/programmes/{}/reports/"


def _request(bond: Bond, user, **body):  # type: ignore[no-untyped-def]
    return bond.client(user).post(BASE.format(bond.programme.pk) + "request/", body, format="json")


def _built(bond: Bond, edition: str = "public", language: str = "fr") -> Report:
    response = _request(bond, bond.manager, edition=edition, language=language)
    assert response.status_code in (200, 202), response.content
    services.report_build(report_id=response.json()["id"])
    return Report.objects.with_pdf().get(pk=response.json()["id"])


def test_a_request_queues_one_build_per_state_and_polls_to_ready(bond: Bond):
    first = _request(bond, bond.funder, edition="public", language="en")
    assert first.status_code == 202
    body = first.json()
    assert body["status"] == "queued" and body["progress"] == 0
    again = _request(bond, bond.manager, edition="public", language="en")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    services.report_build(report_id=body["id"])
    status = bond.client(bond.funder).get(BASE.format(bond.programme.pk) + f"{body['id']}/")
    assert status.json()["status"] == "ready" and status.json()["progress"] == 100
    assert status.json()["download_url"].endswith(f"/{body['id']}/download/")


def test_download_has_type_name_and_sha256_headers(bond: Bond):
    report = _built(bond)
    response = bond.client(bond.evaluator).get(
        BASE.format(bond.programme.pk) + f"{report.pk}/download/"
    )
    assert response.status_code == 200
    pdf = response.content
    digest = hashlib.sha256(pdf).hexdigest()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="jardins-public-fr-{report.chain_head[:12]}.pdf"'
    )
    assert response["X-Content-SHA256"] == digest == report.sha256
    assert response["Digest"] == "SHA-256=" + base64.b64encode(bytes.fromhex(digest)).decode()
    assert response["X-Chain-Head"] == report.chain_head
    assert response["Cache-Control"] == "private, no-store"
    assert pdf.startswith(b"%PDF-") and len(pdf) == report.size


def test_only_fund_managers_request_or_download_the_manager_edition(bond: Bond):
    assert _request(bond, bond.funder, edition="manager").status_code == 403
    assert _request(bond, bond.evaluator, edition="public").status_code == 403
    report = _built(bond, edition="manager")
    url = BASE.format(bond.programme.pk) + f"{report.pk}/download/"
    for user in (bond.funder, bond.evaluator, bond.lead, bond.investor):
        assert bond.client(user).get(url).status_code == 403
    assert bond.client(bond.manager).get(url).status_code == 200
    listed = bond.client(bond.funder).get(BASE.format(bond.programme.pk)).json()["results"]
    assert [r["edition"] for r in listed] == []


def test_investors_see_a_public_report_only_once_published(bond: Bond):
    report = _built(bond)
    url = BASE.format(bond.programme.pk) + f"{report.pk}/download/"
    investor = bond.client(bond.investor)
    assert investor.get(url).status_code == 403
    assert investor.get(BASE.format(bond.programme.pk)).json()["results"] == []
    publish = BASE.format(bond.programme.pk) + f"{report.pk}/publish/"
    assert bond.client(bond.funder).post(publish).status_code == 403
    assert bond.client(bond.manager).post(publish).status_code == 200
    assert investor.get(url).status_code == 200
    assert [r["id"] for r in investor.get(BASE.format(bond.programme.pk)).json()["results"]] == [
        report.pk
    ]


def test_a_published_report_downloads_without_login_at_stable_urls(bond: Bond):
    report = _built(bond)
    anonymous = bond.client(None)
    latest = "/api/reports/published/jardins/fr/latest.pdf"
    assert anonymous.get(latest).status_code == 404
    published = bond.client(bond.manager).post(
        BASE.format(bond.programme.pk) + f"{report.pk}/publish/"
    )
    at = published.json()["published_url"]
    assert at == f"/api/reports/published/jardins/fr/{report.chain_head}.pdf"
    for url in (latest, at):
        response = anonymous.get(url)
        assert response.status_code == 200
        assert response.content == bytes(report.pdf)
        assert response["X-Content-SHA256"] == report.sha256
    assert "immutable" in anonymous.get(at)["Cache-Control"]
    assert anonymous.get("/api/reports/published/jardins/en/latest.pdf").status_code == 404


def test_only_a_ready_public_edition_can_be_published(bond: Bond):
    manager_report = _built(bond, edition="manager")
    url = BASE.format(bond.programme.pk) + f"{manager_report.pk}/publish/"
    assert bond.client(bond.manager).post(url).status_code == 400
    queued = _request(bond, bond.manager, edition="public", language="en").json()
    url = BASE.format(bond.programme.pk) + f"{queued['id']}/publish/"
    assert bond.client(bond.manager).post(url).status_code == 409
    download = BASE.format(bond.programme.pk) + f"{queued['id']}/download/"
    assert bond.client(bond.manager).get(download).status_code == 409


def test_a_refused_publication_says_the_reports_status_in_the_clients_language(bond: Bond):
    queued = _request(bond, bond.manager, edition="public", language="en").json()
    url = BASE.format(bond.programme.pk) + f"{queued['id']}/publish/"
    client = bond.client(bond.manager)
    refused = client.post(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 409
    # Not the status code ("queued") inside a French sentence.
    assert refused.json()["detail"] == (
        "Seul un rapport prêt peut être publié\u00a0; celui-ci est en attente."
    )


def test_a_new_verified_result_gives_a_new_chain_head_and_a_new_report(bond: Bond):
    first = _built(bond)
    bond.verify("in-work-6m", "c1", "2026-h2", "31")
    second = _built(bond)
    assert second.pk != first.pk
    # Two entries: the verification, and the outcome payment due it books.
    assert second.chain_head != first.chain_head and second.chain_seq == first.chain_seq + 2
    assert second.sha256 != first.sha256


def _verify(bond: Bond, user, content: bytes):  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("report.pdf", content, content_type="application/pdf")
    return bond.client(user).post(
        BASE.format(bond.programme.pk) + "verify/", {"file": upload}, format="multipart"
    )


def test_verify_says_the_printed_head_is_a_state_of_the_ledger(bond: Bond):
    report = _built(bond)
    pdf = bytes(report.pdf)
    bond.verify("in-work-6m", "c1", "2026-h2", "31")  # the ledger moves on
    body = _verify(bond, bond.funder, pdf).json()
    assert body["ok"] is True
    assert body["chain_head"] == report.chain_head
    assert body["programme"] == "jardins"
    assert body["in_chain"] is True and body["chain_seq"] == report.chain_seq
    # The verification and the outcome payment due it booked.
    assert body["ledger_ok"] is True and body["ledger_entries"] == report.chain_seq + 2
    assert body["issued_report"] == report.pk


def test_verify_refuses_a_head_that_is_not_in_the_ledger(bond: Bond):
    # The unsigned rendering: a signed report cannot be edited without breaking its signature.
    pdf = services.report_render(programme=bond.programme, edition="public", language="fr")
    forged_head = "f" * 64
    # Same length, so the file stays a readable PDF; the keywords now name another state.
    forged = pdf.replace(
        b"sib-chain-head:" + pdf.split(b"sib-chain-head:")[1][:64],
        b"sib-chain-head:" + forged_head.encode(),
    )
    body = _verify(bond, bond.manager, forged).json()
    assert body["chain_head"] == forged_head
    assert body["in_chain"] is False and body["ok"] is False
    assert "NOT a state" in body["summary"]


def test_verify_rejects_what_is_not_a_report(bond: Bond):
    response = _verify(bond, bond.manager, b"hello")
    assert response.status_code == 400
    assert _verify(bond, bond.investor, b"%PDF-").status_code == 403


def test_a_failed_build_says_why_and_a_new_request_queues_it_again(
    bond: Bond, monkeypatch: pytest.MonkeyPatch
):
    def broken(data):  # type: ignore[no-untyped-def]
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(services, "render_report", broken)
    queued = _request(bond, bond.manager).json()
    services.report_build(report_id=queued["id"])
    status = bond.client(bond.manager).get(BASE.format(bond.programme.pk) + f"{queued['id']}/")
    assert status.json()["status"] == "failed"
    assert status.json()["failure"] == "RuntimeError: renderer exploded"
    monkeypatch.undo()
    again = _request(bond, bond.manager)
    assert again.status_code == 202 and again.json()["status"] == "queued"
    assert services.report_build(report_id=queued["id"]).status == "ready"  # type: ignore[union-attr]
    assert services.report_build(report_id=queued["id"]) is None  # nothing left to do


def test_the_pdf_read_back_names_programme_and_head(bond: Bond):
    report = _built(bond)
    head, slug = services.report_file_fields(bytes(report.pdf))
    assert (head, slug) == (report.chain_head, "jardins")
    assert io.BytesIO(bytes(report.pdf)).read(5) == b"%PDF-"
