"""The offline verifier (sib_verify) against a downloaded bundle, genuine and tampered.

Each tampering a forger, or the operator, could try on a bundle or a report is detected
and named: a changed amount, a dropped, inserted or reordered entry, a forged or replayed
checkpoint, a rolled-back chain, a swapped, altered or unissued report, another key.
"""

import base64
import copy
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import sib_verify
from reports.models import Report
from reports.services import report_build, report_render, report_request
from reports.signing import report_sign
from sib import signing
from sib.checkpoints import checkpoint_issue
from tests.reports.conftest import Bond, make_bond

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = "/api/programmes/{}/verification-bundle/"


def _issued(bond: Bond) -> Report:
    report, _ = report_request(programme=bond.programme, edition="public", language="fr", user=None)
    report_build(report_id=report.pk)
    return Report.objects.with_pdf().get(pk=report.pk)


def _bundle(bond: Bond, user: Any = None) -> dict[str, Any]:
    response = bond.client(user or bond.funder).get(BUNDLE.format(bond.programme.pk))
    assert response.status_code == 200, response
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="jardins-verif')
    return json.loads(b"".join(response.streaming_content))


@pytest.fixture
def issued(bond: Bond) -> tuple[Bond, Report, dict[str, Any]]:
    """A report issued at one state, the ledger moved on, then a bundle downloaded."""
    report = _issued(bond)
    bond.verify("in-work-6m", "c1", "2026-h2", "31")
    return bond, report, _bundle(bond)


def _verdict(bundle: dict[str, Any], report: bytes | None = None, **kw: Any) -> sib_verify.Verdict:
    return sib_verify.bundle_verify(bundle, report=report, **kw)


def _one_problem(verdict: sib_verify.Verdict, words: str) -> str:
    assert not verdict.ok
    matching = [p for p in verdict.problems if words in p]
    assert matching, verdict.problems
    return matching[0]


def _rechain(entries: list[dict[str, Any]], start: int) -> None:
    """Recompute every hash from `start` (a position): a consistent rewrite of history."""
    previous = entries[start - 1]["hash"] if start else sib_verify.GENESIS
    for entry in entries[start:]:
        entry["previous_hash"] = previous
        entry["hash"] = sib_verify.link_hash(
            entry["kind"], entry["object_id"], entry["canonical"], previous
        )
        previous = entry["hash"]


def _ledger_entry(bundle: dict[str, Any]) -> int:
    return next(i for i, e in enumerate(bundle["entries"]) if e["kind"] == "ledger_transaction")


def _change_amount(bundle: dict[str, Any]) -> tuple[dict[str, Any], int]:
    changed = copy.deepcopy(bundle)
    index = _ledger_entry(changed)
    record = json.loads(changed["entries"][index]["canonical"])
    assert sib_verify.canonical_json(record) == changed["entries"][index]["canonical"]
    debit_leg = next(leg for leg in record["legs"] if leg[2] > 0)
    credit_leg = next(leg for leg in record["legs"] if leg[3] > 0)
    debit_leg[2] += 100_000  # a thousand euros more, still balanced
    credit_leg[3] += 100_000
    changed["entries"][index]["canonical"] = sib_verify.canonical_json(record)
    return changed, index


def test_a_genuine_bundle_and_report_verify(issued):
    _bond, report, bundle = issued
    verdict = _verdict(bundle, bytes(report.pdf))
    assert verdict.ok, verdict.problems
    assert f"report chain head: state #{report.chain_seq}, signed" in verdict.facts
    # The fixture verifies one more result after the report: its decision and its due.
    assert bundle["head"]["seq"] == report.chain_seq + 2 == len(bundle["entries"])
    assert [r["sha256"] for r in bundle["reports"]] == [report.sha256]
    assert bundle["certificate_sha256"] == signing.signing_identity().fingerprint


def test_the_verifier_is_one_command_that_needs_no_django(issued, tmp_path):
    _, report, bundle = issued
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "report.pdf").write_bytes(bytes(report.pdf))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PYTHONPATH"))}
    probe = (
        "import sys, sib_verify\n"
        "code = sib_verify.main(sys.argv[1:])\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        "print('LEDGER MODULES', sorted(top & {'django', 'rest_framework', 'celery', 'sib',"
        " 'reports', 'payments', 'outcomes', 'psycopg'}))\n"
        "sys.exit(code)\n"
    )
    # Run from a copy of the one file, away from the repository: it stands alone.
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "sib_verify.py").write_bytes((ROOT / "sib_verify.py").read_bytes())
    run = subprocess.run(
        [sys.executable, "-c", probe, "../bundle.json", "../report.pdf"],
        cwd=alone, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "VERIFIED" in run.stdout and "LEDGER MODULES []" in run.stdout
    (tmp_path / "bad.pdf").write_bytes(bytes(report.pdf) + b"\n")
    run = subprocess.run(
        [sys.executable, "-m", "sib_verify", "../bundle.json", "../bad.pdf"],
        cwd=alone, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1
    assert "FAIL: report signature: bytes were added" in run.stdout
    assert run.stdout.rstrip().endswith("NOT VERIFIED")


def test_a_changed_amount_is_named_at_its_entry(issued):
    _, report, bundle = issued
    changed, index = _change_amount(bundle)
    entry = changed["entries"][index]
    problem = _one_problem(_verdict(changed, bytes(report.pdf)), "hash mismatch")
    assert problem.startswith(f"entry #{entry['seq']} (ledger_transaction {entry['object_id']})")


def test_a_changed_amount_with_the_chain_rehashed_contradicts_the_signed_checkpoints(issued):
    _, report, bundle = issued
    changed, index = _change_amount(bundle)
    _rechain(changed["entries"], index)
    verdict = _verdict(changed, bytes(report.pdf))
    _one_problem(verdict, "the chain was rewritten after this state was signed")
    _one_problem(verdict, "is not a signed state of this chain")


def test_a_dropped_entry_is_named(issued):
    _, _report, bundle = issued
    dropped = copy.deepcopy(bundle)
    del dropped["entries"][3]
    _one_problem(_verdict(dropped), "entry at position 4 is #5: entries were dropped or reordered")
    # Renumbered to hide the gap: the next entry no longer names the one before it.
    for position, entry in enumerate(dropped["entries"], start=1):
        entry["seq"] = position
    _one_problem(_verdict(dropped), "entry #4 (")
    _one_problem(_verdict(dropped), "previous hash is not the hash of entry #3")


def test_a_dropped_last_entry_leaves_the_signed_head_beyond_the_chain(issued):
    _, report, bundle = issued
    dropped = copy.deepcopy(bundle)
    dropped["entries"].pop()
    verdict = _verdict(dropped, bytes(report.pdf))
    _one_problem(verdict, f"checkpoint #{bundle['head']['seq']} (")
    _one_problem(verdict, "entries were dropped after it")


def test_reordered_entries_are_named(issued):
    _, _, bundle = issued
    swapped = copy.deepcopy(bundle)
    entries = swapped["entries"]
    entries[2], entries[3] = entries[3], entries[2]
    _one_problem(_verdict(swapped), "entry at position 3 is #4: entries were dropped or reordered")
    entries[2]["seq"], entries[3]["seq"] = 3, 4  # renumbered in their new order
    _one_problem(_verdict(swapped), "previous hash is not the hash of entry #2")


def test_an_inserted_entry_is_named(issued):
    _, _, bundle = issued
    inserted = copy.deepcopy(bundle)
    # A well-formed entry after #1 (its own hash correct), the later ones renumbered.
    fake = dict(inserted["entries"][1], object_id="999999")
    fake["hash"] = sib_verify.link_hash(
        fake["kind"], fake["object_id"], fake["canonical"], inserted["entries"][0]["hash"]
    )
    inserted["entries"].insert(1, fake)
    for position, entry in enumerate(inserted["entries"], start=1):
        entry["seq"] = position
    _one_problem(_verdict(inserted), "entry #3 (")
    _one_problem(_verdict(inserted), "previous hash is not the hash of entry #2")


def test_a_forged_checkpoint_is_named(issued, tmp_path):
    _, report, bundle = issued
    forged = copy.deepcopy(bundle)
    checkpoint = forged["checkpoints"][-1]
    payload = json.loads(checkpoint["payload"])
    payload["signed_at"] = "2030-01-01T00:00:00Z"  # a later date, same signature
    checkpoint["payload"] = sib_verify.canonical_json(payload)
    verdict = _verdict(forged, bytes(report.pdf))
    _one_problem(verdict, "forged: the signature is not the ledger's")
    # Signed by someone else's key, for the genuine state: still forged.
    other = _stranger_identity(tmp_path)
    good = json.loads(bundle["checkpoints"][-1]["payload"])
    text = sib_verify.canonical_json(good)
    forged["checkpoints"][-1] = {
        "payload": text,
        "signature": base64.b64encode(other.sign(text.encode())).decode(),
    }
    _one_problem(_verdict(forged), "forged: the signature is not the ledger's")
    _one_problem(_verdict(forged), "nobody vouches for them")


def _stranger_identity(tmp_path: Path) -> signing.SigningIdentity:
    """Return a key and certificate of the same kind as the ledger's, but not the ledger's."""
    directory = signing._development_pair(tmp_path / "forger")
    return signing._identity.__wrapped__(  # type: ignore[attr-defined]
        str(directory / "key.pem"), str(directory / "cert.pem")
    )


def test_a_replayed_old_checkpoint_does_not_vouch_for_later_entries(issued):
    _, report, bundle = issued
    replayed = copy.deepcopy(bundle)
    # The newest checkpoint withheld, an entry appended with a consistent hash: only the
    # old checkpoint (the report's state) is left to vouch for the chain.
    replayed["checkpoints"] = replayed["checkpoints"][:-1]
    extra = dict(replayed["entries"][-1], seq=len(replayed["entries"]) + 1, object_id="424242")
    replayed["entries"].append(extra)
    _rechain(replayed["entries"], len(replayed["entries"]) - 1)
    verdict = _verdict(replayed, bytes(report.pdf))
    problem = _one_problem(verdict, "come after the last signed checkpoint")
    assert f"(#{report.chain_seq})" in problem


def test_a_bundle_rolled_back_behind_a_checkpoint_you_saw_is_named(issued):
    bond, report, bundle = issued
    bond.verify("in-work-6m", "c2", "2026-h2", "12")
    newer = _bundle(bond)
    # The operator serves the older bundle again after you saw the newer one.
    verdict = _verdict(bundle, bytes(report.pdf), previous=newer)
    _one_problem(verdict, f"rolled back: you saw checkpoint #{newer['head']['seq']}")
    assert _verdict(newer, previous=bundle).ok


def test_a_checkpoint_replayed_from_another_programme_is_named(issued, db):
    _, _, bundle = issued
    other = make_bond("autre", "Autre programme")
    theirs = checkpoint_issue(programme=other.programme)
    replayed = copy.deepcopy(bundle)
    replayed["checkpoints"].append({"payload": theirs.payload, "signature": theirs.signature})
    _one_problem(_verdict(replayed), "replayed from another programme")


def test_a_swapped_report_is_named(issued, db):
    _, _, bundle = issued
    other = make_bond("autre", "Autre programme")
    theirs = _issued(other)
    verdict = _verdict(bundle, bytes(theirs.pdf))
    _one_problem(verdict, "swapped report: it is a report of autre, the bundle is of jardins")
    _one_problem(verdict, "is not a signed state of this chain")
    _one_problem(verdict, "not those of any report issued")


def test_an_altered_or_unissued_report_is_named(issued):
    bond, report, bundle = issued
    appended = bytes(report.pdf) + b"%% more\n"
    _one_problem(_verdict(bundle, appended), "bytes were added to the file after it was signed")
    _one_problem(_verdict(bundle, appended), "not those of any report issued")
    unsigned = report_render(programme=bond.programme, edition="public", language="fr")
    _one_problem(_verdict(bundle, unsigned), "report signature: the report is not signed")
    signed_not_issued = report_sign(unsigned)
    verdict = _verdict(bundle, signed_not_issued)
    assert not any("signature" in p for p in verdict.problems)
    _one_problem(verdict, "not those of any report issued")


def test_a_whole_bundle_forged_with_another_key_fails_the_pinned_fingerprint(issued, tmp_path):
    _, report, bundle = issued
    genuine = bundle["certificate_sha256"]
    other = _stranger_identity(tmp_path)
    forged = copy.deepcopy(bundle)
    forged["certificate"] = other.certificate_pem
    for checkpoint in forged["checkpoints"]:
        checkpoint["signature"] = base64.b64encode(
            other.sign(checkpoint["payload"].encode())
        ).decode()
    # Internally consistent, and the genuine report is signed by another certificate...
    verdict = _verdict(forged, bytes(report.pdf))
    _one_problem(verdict, "the report was signed by another certificate")
    # ...and with the fingerprint the funder was given, the bundle itself is refused.
    verdict = _verdict(forged, certificate_sha256=genuine)
    _one_problem(verdict, "is not the one you expected")
    assert _verdict(bundle, bytes(report.pdf), certificate_sha256=genuine).ok


def test_what_is_not_a_bundle_is_refused_with_exit_2(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"format": "something else"}')
    assert sib_verify.main([str(path)]) == 2


def test_only_the_fund_manager_and_funders_download_the_bundle(bond: Bond):
    # It carries every investor's money movements: never for an investor, and not for an
    # evaluator, whose role never sees investors' money (DOMAIN.md).
    url = BUNDLE.format(bond.programme.pk)
    assert bond.client(bond.investor).get(url).status_code == 403
    assert bond.client(bond.lead).get(url).status_code == 403
    assert bond.client(bond.stranger).get(url).status_code == 404
    assert bond.client(None).get(url).status_code in (401, 403)
    funder = bond.client(bond.funder).get(url)
    assert funder.status_code == 200
    assert json.loads(b"".join(funder.streaming_content))["format"] == sib_verify.BUNDLE_FORMAT


def test_the_portal_links_the_bundle_for_funders(bond: Bond, client):
    client.force_login(bond.funder)
    page = client.get(f"/programmes/{bond.programme.pk}/reports/")
    url = f"/programmes/{bond.programme.pk}/verification-bundle/"
    assert url in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    bundle = json.loads(b"".join(response.streaming_content))
    assert sib_verify.bundle_verify(bundle).ok
    client.force_login(bond.investor)
    assert url not in client.get(f"/programmes/{bond.programme.pk}/reports/").content.decode()
    assert client.get(url).status_code == 403


def test_the_bundle_is_streamed_in_batches_that_join_into_one_document(
    bond: Bond, monkeypatch: pytest.MonkeyPatch
):
    from reports import bundle as bundle_module

    whole = _bundle(bond)
    monkeypatch.setattr(bundle_module, "_BATCH", 3)
    response = bond.client(bond.funder).get(BUNDLE.format(bond.programme.pk))
    chunks = list(response.streaming_content)
    assert len(chunks) > len(whole["entries"]) // 3
    batched = json.loads(b"".join(chunks))
    assert batched["entries"] == whole["entries"]
    assert sib_verify.bundle_verify(batched).ok


Tampered = tuple[dict[str, Any], bytes]


def _edit_entry(field: str, value: Any, index: int = 2) -> Any:
    def tamper(bundle: dict[str, Any], pdf: bytes, tmp_path: Path) -> Tampered:
        bundle["entries"][index][field] = value
        return bundle, pdf

    return tamper


def _flip_inside_signature(bundle: dict[str, Any], pdf: bytes, tmp_path: Path) -> Tampered:
    # A byte of the original document, inside the signed range (the first revision's info).
    return bundle, pdf.replace(b"ReportLab", b"ReportLaX", 1)


def _countersigned(bundle: dict[str, Any], pdf: bytes, tmp_path: Path) -> Tampered:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    directory = signing._development_pair(tmp_path / "countersigner")
    signer = signers.SimpleSigner.load(str(directory / "key.pem"), str(directory / "cert.pem"))
    assert signer is not None
    meta = signers.PdfSignatureMetadata(field_name="Countersignature")
    out = signers.PdfSigner(meta, signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
    return bundle, out.getvalue()


def _certificate_swapped(bundle: dict[str, Any], pdf: bytes, tmp_path: Path) -> Tampered:
    bundle["certificate"] = _stranger_identity(tmp_path).certificate_pem
    return bundle, pdf


def _report_unlisted(bundle: dict[str, Any], pdf: bytes, tmp_path: Path) -> Tampered:
    bundle["reports"] = []
    return bundle, pdf


def _listed_under_another_head(bundle: dict[str, Any], pdf: bytes, tmp_path: Path) -> Tampered:
    bundle["reports"][0]["chain_head"] = bundle["entries"][0]["hash"]
    return bundle, pdf


def _checkpoints_withheld(bundle: dict[str, Any], pdf: bytes, tmp_path: Path) -> Tampered:
    bundle["checkpoints"] = []
    return bundle, pdf


# Further tamperings, each with the words the verifier names it by (the ones above have
# tests of their own).
CORPUS = {
    "record swapped for another (object id)": (_edit_entry("object_id", "1"), "entry #3 ("),
    "entry's kind changed": (_edit_entry("kind", "outcomes.review"), "hash mismatch"),
    "entry's stored hash changed": (_edit_entry("hash", "e" * 64), "entry #3 ("),
    "record left out of the bundle": (
        _edit_entry("canonical", None),
        "the bundle does not carry its record",
    ),
    "a byte of the report changed inside the signature": (
        _flip_inside_signature,
        "changed after signing",
    ),
    "report countersigned by someone else": (_countersigned, "more than one signature"),
    "certificate swapped, checkpoints kept": (
        _certificate_swapped,
        "forged: the signature is not the ledger's",
    ),
    "report left out of the issued list": (_report_unlisted, "not those of any report issued"),
    "report listed under another head": (
        _listed_under_another_head,
        "the report issued with these bytes names another chain head",
    ),
    "every checkpoint withheld": (_checkpoints_withheld, "no valid signed checkpoint"),
}


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_tamper_corpus_each_kind_is_detected_and_named(issued, tmp_path, kind):
    _, report, bundle = issued
    tamper, words = CORPUS[kind]
    tampered, pdf = tamper(copy.deepcopy(bundle), bytes(report.pdf), tmp_path)
    _one_problem(_verdict(tampered, pdf), words)
