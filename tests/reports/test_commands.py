"""`report` and `report_verify` for operators."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reports.models import Report
from reports.services import report_build, report_render, report_request
from tests.reports.conftest import Bond


def test_report_writes_the_same_bytes_as_the_service(bond: Bond, tmp_path):
    out = tmp_path / "r.pdf"
    call_command("report", "jardins", "--edition", "manager", "--lang", "en", "-o", str(out))
    assert out.read_bytes() == report_render(
        programme=bond.programme, edition="manager", language="en"
    )


def test_report_refuses_an_unknown_programme_or_state(bond: Bond, tmp_path):
    with pytest.raises(CommandError, match="No programme"):
        call_command("report", "nope", "-o", str(tmp_path / "r.pdf"))
    with pytest.raises(CommandError, match="not a state"):
        call_command("report", "jardins", "--at", "e" * 64, "-o", str(tmp_path / "r.pdf"))


def test_report_verify_checks_an_issued_file_against_the_ledger(bond: Bond, tmp_path, capsys):
    report, _ = report_request(programme=bond.programme, edition="public", language="fr", user=None)
    report_build(report_id=report.pk)
    out = tmp_path / "r.pdf"
    out.write_bytes(bytes(Report.objects.with_pdf().get(pk=report.pk).pdf))
    bond.verify("in-work-6m", "c1", "2026-h2", "31")
    call_command("report_verify", str(out))
    printed = capsys.readouterr().out
    assert "in ledger:    yes, entry" in printed
    assert "ledger ok:    yes" in printed
    assert "signature:    yes" in printed
    assert f"issued:       yes, report {report.pk}" in printed


def test_report_verify_refuses_a_rebuilt_file_whose_head_is_not_in_the_ledger(
    bond: Bond, tmp_path, capsys
):
    out = tmp_path / "r.pdf"
    call_command("report", "jardins", "-o", str(out))
    forged = out.read_bytes()
    head = forged.split(b"sib-chain-head:")[1][:64]
    out.write_bytes(forged.replace(head, b"0123456789abcdef" * 4))
    with pytest.raises(SystemExit) as exit_:
        call_command("report_verify", str(out))
    assert exit_.value.code == 1
    assert "in ledger:    NO" in capsys.readouterr().out
