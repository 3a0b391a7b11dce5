"""Issued reports are signed (PAdES) and `report_verify` refuses anything else, naming why.

The holes a hostile test of main found: a one-line PDF carrying a copied chain head passed
with exit 0; a genuine report with bytes appended passed; "issued: no" did not change the
verdict, in the command and in the API.
"""

import base64
import hashlib
import io
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from reportlab.pdfgen import canvas

import sib_verify
from reports.models import Report
from reports.services import report_build, report_render, report_request
from reports.signing import report_sign
from sib import signing
from sib.db.insert_only import InsertOnlyError
from sib.models import ChainCheckpoint
from tests.reports.conftest import Bond


def _issued(bond: Bond, edition: str = "public") -> Report:
    report, _ = report_request(programme=bond.programme, edition=edition, language="fr", user=None)
    report_build(report_id=report.pk)
    return Report.objects.with_pdf().get(pk=report.pk)


def _verify_command(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        call_command("report_verify", str(path))
    except SystemExit as exit_:
        return int(exit_.code or 0), capsys.readouterr().out
    return 0, capsys.readouterr().out


def _verify_api(bond: Bond, content: bytes) -> dict:  # type: ignore[type-arg]
    upload = SimpleUploadedFile("report.pdf", content, content_type="application/pdf")
    response = bond.client(bond.funder).post(
        f"/api/programmes/{bond.programme.pk}/reports/verify/",
        {"file": upload},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="fr",  # a French funder: the reasons come back in French
    )
    assert response.status_code == 200, response.content
    return response.json()


def _one_line_pdf(head: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setKeywords(f"sib-programme:jardins, sib-chain-head:{head}")
    page.drawString(72, 720, f"Empreinte : {head}")
    page.save()
    return buffer.getvalue()


def test_an_issued_report_is_the_deterministic_rendering_plus_a_signature(bond: Bond):
    report = _issued(bond)
    pdf = bytes(report.pdf)
    unsigned = report_render(programme=bond.programme, edition="public", language="fr")
    # The signature is an incremental update: the rendering's bytes come first, unchanged.
    assert pdf.startswith(unsigned) and len(pdf) > len(unsigned)
    check = sib_verify.pdf_signature_check(pdf, signing.signing_identity().certificate)
    assert check.ok, check.problem
    assert check.signer_fingerprint == signing.signing_identity().fingerprint
    assert report.sha256 == hashlib.sha256(pdf).hexdigest()


def test_issuing_a_report_signs_a_checkpoint_of_the_head_it_prints(bond: Bond):
    report = _issued(bond)
    checkpoint = ChainCheckpoint.objects.get(programme=bond.programme, seq=report.chain_seq)
    assert checkpoint.head == report.chain_head
    certificate = signing.signing_identity().certificate
    signature = base64.b64decode(checkpoint.signature)
    assert sib_verify.signature_verify(certificate, checkpoint.payload.encode(), signature)
    assert not sib_verify.signature_verify(
        certificate, checkpoint.payload.replace(report.chain_head, "0" * 64).encode(), signature
    )
    checkpoint.head = "0" * 64
    with pytest.raises(InsertOnlyError):
        checkpoint.save()


def test_a_genuine_issued_report_passes_with_exit_0(bond: Bond, tmp_path, capsys):
    report = _issued(bond)
    path = tmp_path / "r.pdf"
    path.write_bytes(bytes(report.pdf))
    code, out = _verify_command(path, capsys)
    assert code == 0, out
    assert "signature:    yes" in out and f"issued:       yes, report {report.pk}" in out
    body = _verify_api(bond, bytes(report.pdf))
    assert body["ok"] is True and body["problems"] == []
    assert body["signature_ok"] is True and body["issued"] is True


def test_a_one_line_pdf_carrying_a_copied_chain_head_is_refused(bond: Bond, tmp_path, capsys):
    report = _issued(bond)
    path = tmp_path / "forged.pdf"
    path.write_bytes(_one_line_pdf(report.chain_head))
    code, out = _verify_command(path, capsys)
    assert code == 1
    assert "in ledger:    yes" in out  # the copied head is genuine...
    assert "signature:    NO: the report is not signed" in out  # ...the file is not
    assert "issued:       NO" in out
    body = _verify_api(bond, path.read_bytes())
    assert body["ok"] is False and body["signature_ok"] is False and body["issued"] is False
    # The API speaks the language the client asks for.
    assert "Signature\u00a0: le rapport n’est pas signé." in body["problems"]
    assert body["signature_problem"] == "the report is not signed"


def test_a_genuine_report_with_bytes_appended_is_refused(bond: Bond, tmp_path, capsys):
    report = _issued(bond)
    path = tmp_path / "appended.pdf"
    path.write_bytes(bytes(report.pdf) + b"\n%% one more line\n")
    code, out = _verify_command(path, capsys)
    assert code == 1
    assert "signature:    NO: bytes were added to the file after it was signed" in out
    assert "issued:       NO" in out
    body = _verify_api(bond, path.read_bytes())
    assert body["ok"] is False and body["issued"] is False
    assert (
        "Signature\u00a0: des octets ont été ajoutés au fichier après sa signature."
        in (body["problems"])
    )


def test_a_report_signed_here_but_never_issued_is_refused(bond: Bond, tmp_path, capsys):
    # Rendered and signed with the ledger's own key, but never stored as issued: a valid
    # signature alone does not make a report (the "issued: no" hole).
    pdf = report_sign(report_render(programme=bond.programme, edition="public", language="fr"))
    path = tmp_path / "unissued.pdf"
    path.write_bytes(pdf)
    code, out = _verify_command(path, capsys)
    assert code == 1
    assert "signature:    yes" in out
    assert "issued:       NO" in out and "FAIL: Not issued" in out
    body = _verify_api(bond, pdf)
    assert body["ok"] is False and body["signature_ok"] is True and body["issued"] is False
    assert body["problems"] == [
        "Non émis\u00a0: aucun rapport de ces octets exacts (SHA-256) n’a été émis ici."
    ]


def test_a_report_signed_by_another_key_is_refused(bond: Bond, tmp_path, capsys):
    report = _issued(bond)
    stranger = signing._identity.__wrapped__(  # type: ignore[attr-defined]
        *_pair(tmp_path / "other")
    )
    pdf = report_sign(
        report_render(programme=bond.programme, edition="public", language="fr"),
        identity=stranger,
    )
    path = tmp_path / "other.pdf"
    path.write_bytes(pdf)
    code, out = _verify_command(path, capsys)
    assert code == 1 and "signed by another certificate" in out
    assert report.sha256 not in out


def _pair(directory: Path) -> tuple[str, str]:
    signing._development_pair(directory)
    return str(directory / "key.pem"), str(directory / "cert.pem")


def test_the_development_key_is_made_once_at_first_use_under_var(tmp_path):
    with override_settings(VAR_DIR=tmp_path, SIGNING_KEY_FILE=None, SIGNING_CERT_FILE=None):
        signing._identity.cache_clear()
        try:
            assert not (tmp_path / "signing").exists()  # importing settings made nothing
            first = signing.signing_identity()
            assert (tmp_path / "signing" / "key.pem").stat().st_mode & 0o077 == 0
            signing._identity.cache_clear()
            assert signing.signing_identity().fingerprint == first.fingerprint
        finally:
            signing._identity.cache_clear()


def test_production_without_a_signing_key_refuses_to_sign_naming_the_settings(tmp_path):
    with override_settings(
        PRODUCTION=True, VAR_DIR=tmp_path, SIGNING_KEY_FILE=None, SIGNING_CERT_FILE=None
    ):
        signing._identity.cache_clear()
        try:
            with pytest.raises(ImproperlyConfigured, match="SIGNING_KEY_FILE and SIGNING_CERT"):
                signing.signing_identity()
            assert not (tmp_path / "signing").exists()
        finally:
            signing._identity.cache_clear()


def test_configured_key_and_certificate_are_used_and_must_match(tmp_path):
    key, cert = _pair(tmp_path / "a")
    _, other_cert = _pair(tmp_path / "b")
    with override_settings(SIGNING_KEY_FILE=key, SIGNING_CERT_FILE=cert):
        signing._identity.cache_clear()
        try:
            assert signing.signing_identity().certificate_pem == Path(cert).read_text()
        finally:
            signing._identity.cache_clear()
    with override_settings(SIGNING_KEY_FILE=key, SIGNING_CERT_FILE=other_cert):
        try:
            with pytest.raises(ImproperlyConfigured, match="not the certificate"):
                signing.signing_identity()
        finally:
            signing._identity.cache_clear()


def test_reports_issued_before_signing_are_signed_once_by_the_upgrade_command(
    bond: Bond, tmp_path, capsys
):
    report = _issued(bond)
    unsigned = report_render(programme=bond.programme, edition="public", language="fr")
    # As a report issued before this change was stored: unsigned, no signing time.
    Report.objects.filter(pk=report.pk).update(
        pdf=unsigned, sha256=hashlib.sha256(unsigned).hexdigest(), signed_at=None
    )
    path = tmp_path / "r.pdf"
    path.write_bytes(unsigned)
    assert _verify_command(path, capsys)[0] == 1
    call_command("report_sign_issued")
    assert "1 reports signed." in capsys.readouterr().out
    signed = Report.objects.with_pdf().get(pk=report.pk)
    assert signed.signed_at is not None and bytes(signed.pdf).startswith(unsigned)
    path.write_bytes(bytes(signed.pdf))
    code, out = _verify_command(path, capsys)
    assert code == 0, out
    call_command("report_sign_issued")
    assert "0 reports signed." in capsys.readouterr().out


def test_the_operator_prints_the_fingerprint_funders_pin(capsys):
    call_command("signing_certificate")
    out = capsys.readouterr().out
    assert f"sha256:      {signing.signing_identity().fingerprint}" in out
    assert "-----BEGIN CERTIFICATE-----" in out
