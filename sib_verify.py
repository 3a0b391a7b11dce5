"""Check an evaluation report against a verification bundle, offline, without the ledger.

    python -m sib_verify BUNDLE.json [REPORT.pdf] [--certificate-sha256 HEX] [--previous OLD.json]

A public funder downloads the programme's verification bundle (the portal's "verification
bundle" link, or GET /api/programmes/{id}/verification-bundle/) and runs this file on their
own machine. It needs Python 3.12+ and `pip install pyhanko` (which brings `cryptography`);
it imports nothing of the ledger and never talks to it. Step by step: docs/security.md.

What it checks, each failure named:
1. the chain: entries numbered 1..n in order, each naming the one before, each hash
   recomputed from the canonical record the bundle carries
       hash(n) = sha256("kind|object_id|canonical" ‖ hash(n-1)),  hash(0) = 64 zeros
   so a changed amount, a dropped, inserted or reordered entry breaks it at that entry;
2. the signed checkpoints (programme, seq, head, time, signed by the ledger's key): each
   signature, each head against the chain at its seq, and that the last one covers the
   end of the chain (entries after it are vouched for by nobody);
3. with --previous, a bundle you downloaded before: every checkpoint you saw then is still
   a state of this chain (no rollback, no rewritten history);
4. with a report: its PAdES signature (intact, made by the bundle's certificate, covering
   the whole file), its chain head a state of the signed chain, its bytes an issued report.
The certificate comes with the bundle: compare its fingerprint with the one the operator
gave you out of band (the contract, a letter), or pass it as --certificate-sha256.

Exit status 0 when everything holds, 1 otherwise (2 for unusable input).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
BUNDLE_FORMAT = "sib-verification-bundle/1"
CHECKPOINT_FORMAT = "sib-checkpoint/1"
# PDF keywords naming the programme and the chain head (reports.document).
KEYWORD_PROGRAMME = "sib-programme:"
KEYWORD_HEAD = "sib-chain-head:"


# --- shared with the ledger (no Django here) ---------------------------------------------


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(kind: str, object_id: str, canonical: str, previous_hash: str) -> str:
    data = f"{kind}|{object_id}|{canonical}".encode()
    return hashlib.sha256(data + previous_hash.encode("ascii")).hexdigest()


def checkpoint_payload(*, programme: str, programme_id: int, seq: int, head: str, at: str) -> str:
    """Return the text a checkpoint signs: which programme, which state, since when."""
    return canonical_json(
        {
            "format": CHECKPOINT_FORMAT,
            "programme": programme,
            "programme_id": programme_id,
            "seq": seq,
            "head": head,
            "signed_at": at,
        }
    )


def certificate_load(pem: str | bytes) -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)


def certificate_fingerprint(certificate: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def signature_verify(certificate: Any, data: bytes, signature: bytes) -> bool:
    """Return whether `signature` is the certificate key's signature of `data`.

    The ledger signs with the key of its certificate: ECDSA or RSA (PKCS#1 v1.5) over
    SHA-256, or Ed25519.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

    key = certificate.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class PdfSignatureCheck:
    """What the PDF's signature says: `problem` is empty when it holds."""

    problem: str
    signer_fingerprint: str | None = None
    signed_at: str | None = None
    # A word for the problem, for callers that say it in their own words: unreadable,
    # unsigned, several, altered, other_certificate, appended.
    code: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def pdf_signature_check(content: bytes, certificate: Any) -> PdfSignatureCheck:
    """Check the PDF carries one intact PAdES signature by `certificate` over every byte."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(io.BytesIO(content), strict=False).embedded_signatures
    except Exception as exc:  # pyHanko raises many types on damaged files
        return PdfSignatureCheck(f"the PDF cannot be read: {exc}", code="unreadable")
    if not signatures:
        return PdfSignatureCheck("the report is not signed", code="unsigned")
    if len(signatures) > 1:
        return PdfSignatureCheck("the report carries more than one signature", code="several")
    trusted = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    context = ValidationContext(trust_roots=[trusted], allow_fetching=False)
    try:
        status = validate_pdf_signature(signatures[0], context)
    except Exception as exc:
        return PdfSignatureCheck(f"the signature cannot be checked: {exc}", code="altered")
    signer = status.signing_cert.sha256.hex() if status.signing_cert is not None else None
    at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
    if not (status.intact and status.valid):
        code, problem = (
            "altered",
            "the signature does not match the file: it was changed after signing",
        )
    elif signer != certificate_fingerprint(certificate):
        code, problem = (
            "other_certificate",
            f"the report was signed by another certificate (sha256 {signer})",
        )
    elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        code, problem = "appended", "bytes were added to the file after it was signed"
    else:
        code, problem = "", ""
    return PdfSignatureCheck(problem, signer, at, code)


def report_keywords(content: bytes) -> tuple[str | None, str | None]:
    """Return (chain head, programme slug) named by the report's PDF keywords."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    trailer = PdfFileReader(io.BytesIO(content), strict=False).trailer_view
    # Indexing dereferences the Info dictionary; get() would return its reference.
    info = trailer["/Info"] if "/Info" in trailer else {}  # noqa: SIM401
    keywords = str(info.get("/Keywords", "") or "")
    head = slug = None
    for word in (w.strip() for w in keywords.split(",")):
        if word.startswith(KEYWORD_HEAD):
            head = word.removeprefix(KEYWORD_HEAD)
        elif word.startswith(KEYWORD_PROGRAMME):
            slug = word.removeprefix(KEYWORD_PROGRAMME)
    return head, slug


# --- the offline check --------------------------------------------------------------------


class BundleUnusable(ValueError):
    """The bundle is not a verification bundle at all."""


@dataclass
class Verdict:
    """Facts established and problems found; verified when there is no problem."""

    facts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Checkpoint:
    seq: int
    head: str
    signed_at: str


def _chain_check(entries: list[dict[str, Any]], verdict: Verdict) -> list[str]:
    """Return the hashes of the chain's states (index = seq) up to the first break."""
    states = [GENESIS]
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            verdict.problems.append(f"entry at position {position} is malformed")
            break
        seq, kind, object_id = entry.get("seq"), entry.get("kind"), entry.get("object_id")
        name = f"entry #{seq} ({kind} {object_id})"
        if seq != position:
            verdict.problems.append(
                f"entry at position {position} is #{seq}: entries were dropped or reordered"
            )
            break
        if entry.get("previous_hash") != states[-1]:
            verdict.problems.append(
                f"{name}: its previous hash is not the hash of entry #{seq - 1}: "
                "an entry was dropped, inserted or reordered"
            )
            break
        canonical = entry.get("canonical")
        if not isinstance(canonical, str):
            verdict.problems.append(f"{name}: the bundle does not carry its record")
            break
        if link_hash(str(kind), str(object_id), canonical, states[-1]) != entry.get("hash"):
            verdict.problems.append(f"{name}: hash mismatch: the record or the entry was changed")
            break
        states.append(entry["hash"])
    return states


def _checkpoints_check(
    checkpoints: list[dict[str, Any]],
    certificate: Any,
    programme: dict[str, Any],
    states: list[str],
    verdict: Verdict,
) -> list[_Checkpoint]:
    """Return the checkpoints whose signature holds and which name a state of the chain."""
    good = []
    for index, item in enumerate(checkpoints, start=1):
        try:
            payload = str(item["payload"])
            data = json.loads(payload)
            signature = base64.b64decode(item["signature"], validate=True)
            seq, head = int(data["seq"]), str(data["head"])
        except (KeyError, TypeError, ValueError):
            verdict.problems.append(f"checkpoint {index} in the list: malformed")
            continue
        name = f"checkpoint #{seq} ({data.get('signed_at')})"
        if data.get("format") != CHECKPOINT_FORMAT or not signature_verify(
            certificate, payload.encode(), signature
        ):
            verdict.problems.append(f"{name}: forged: the signature is not the ledger's")
            continue
        if data.get("programme") != programme.get("slug") or data.get(
            "programme_id"
        ) != programme.get("id"):
            verdict.problems.append(
                f"{name}: signed for programme {data.get('programme')}, not "
                f"{programme.get('slug')}: replayed from another programme"
            )
            continue
        if seq >= len(states):
            verdict.problems.append(
                f"{name}: the chain checked here ends at #{len(states) - 1}: entries were "
                "dropped after it, or the chain breaks before it"
            )
            continue
        if states[seq] != head:
            verdict.problems.append(
                f"{name}: signed head {head[:16]}… but entry #{seq} is {states[seq][:16]}…: "
                "the chain was rewritten after this state was signed"
            )
            continue
        good.append(_Checkpoint(seq, head, str(data.get("signed_at"))))
    return good


def bundle_verify(
    bundle: dict[str, Any],
    *,
    report: bytes | None = None,
    previous: dict[str, Any] | None = None,
    certificate_sha256: str | None = None,
) -> Verdict:
    """Check a bundle (and a report, and an older bundle) without the ledger."""
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise BundleUnusable(f"not a verification bundle (expected format {BUNDLE_FORMAT})")
    verdict = Verdict()
    programme = bundle.get("programme") or {}
    try:
        certificate = certificate_load(bundle["certificate"])
    except (KeyError, ValueError, TypeError) as exc:
        raise BundleUnusable(f"the bundle's certificate cannot be read: {exc}") from exc
    fingerprint = certificate_fingerprint(certificate)
    verdict.facts.append(f"programme: {programme.get('slug')} ({programme.get('name')})")
    verdict.facts.append(f"certificate sha256: {fingerprint}")
    verdict.facts.append(f"certificate subject: {certificate.subject.rfc4514_string()}")
    if certificate_sha256 and certificate_sha256.lower().replace(":", "") != fingerprint:
        verdict.problems.append(
            f"the bundle's certificate ({fingerprint}) is not the one you expected "
            f"({certificate_sha256}): the bundle was not made by that ledger"
        )

    entries = list(bundle.get("entries") or [])
    states = _chain_check(entries, verdict)
    verdict.facts.append(f"chain: {len(states) - 1} of {len(entries)} entries recomputed")
    checkpoints = _checkpoints_check(
        list(bundle.get("checkpoints") or []), certificate, programme, states, verdict
    )
    last = max(checkpoints, key=lambda c: c.seq, default=None)
    if last is None:
        verdict.problems.append("no valid signed checkpoint: nothing vouches for this chain")
        covered = 0
    else:
        covered = last.seq
        verdict.facts.append(f"last signed checkpoint: #{last.seq} of {last.signed_at}")
        if last.seq < len(entries):
            verdict.problems.append(
                f"entries #{last.seq + 1}–#{len(entries)} come after the last signed "
                f"checkpoint (#{last.seq}): nobody vouches for them (a replayed old checkpoint?)"
            )
    if previous is not None:
        _previous_check(previous, certificate, programme, states, verdict)
    if report is not None:
        _report_check(report, bundle, certificate, states[: covered + 1], verdict)
    return verdict


def _previous_check(
    previous: dict[str, Any],
    certificate: Any,
    programme: dict[str, Any],
    states: list[str],
    verdict: Verdict,
) -> None:
    """Every checkpoint of an older bundle must still be a state of this chain."""
    try:
        old_certificate = certificate_load(previous["certificate"])
    except (KeyError, ValueError, TypeError):
        verdict.problems.append("the previous bundle's certificate cannot be read")
        return
    if certificate_fingerprint(old_certificate) != certificate_fingerprint(certificate):
        verdict.facts.append("the previous bundle was signed by another certificate")
    if (previous.get("programme") or {}).get("id") != programme.get("id"):
        verdict.problems.append("the previous bundle is of another programme")
        return
    old = Verdict()
    seen = _checkpoints_check(
        list(previous.get("checkpoints") or []),
        old_certificate,
        programme,
        _all_heads(previous),
        old,
    )
    verdict.problems += [f"previous bundle: {problem}" for problem in old.problems]
    for checkpoint in seen:
        if checkpoint.seq >= len(states):
            verdict.problems.append(
                f"rolled back: you saw checkpoint #{checkpoint.seq} signed on "
                f"{checkpoint.signed_at}, but this chain ends at #{len(states) - 1}"
            )
        elif states[checkpoint.seq] != checkpoint.head:
            verdict.problems.append(
                f"history rewritten: checkpoint #{checkpoint.seq} you saw signed on "
                f"{checkpoint.signed_at} is not a state of this chain"
            )
    verdict.facts.append(f"previous bundle: {len(seen)} checkpoints compared")


def _all_heads(bundle: dict[str, Any]) -> list[str]:
    # An older bundle is trusted for what its own signed checkpoints say, so its chain is
    # taken as stored: only the checkpoints' signatures matter here.
    return [GENESIS] + [str(e.get("hash")) for e in bundle.get("entries") or []]


def _report_check(
    report: bytes, bundle: dict[str, Any], certificate: Any, states: list[str], verdict: Verdict
) -> None:
    digest = hashlib.sha256(report).hexdigest()
    verdict.facts.append(f"report sha256: {digest}")
    signature = pdf_signature_check(report, certificate)
    if signature.ok:
        verdict.facts.append(
            f"report signature: valid, by the bundle's certificate ({signature.signed_at})"
        )
    else:
        verdict.problems.append(f"report signature: {signature.problem}")
    try:
        head, slug = report_keywords(report)
    except Exception as exc:  # pypdf raises many types on damaged files
        verdict.problems.append(f"the report cannot be read: {exc}")
        return
    programme = (bundle.get("programme") or {}).get("slug")
    if slug != programme:
        verdict.problems.append(
            f"swapped report: it is a report of {slug}, the bundle is of {programme}"
        )
    if head is None:
        verdict.problems.append("the report names no chain head")
    elif head in states:
        verdict.facts.append(f"report chain head: state #{states.index(head)}, signed")
    else:
        verdict.problems.append(
            f"the report's chain head {head[:16]}… is not a signed state of this chain"
        )
    issued = [r for r in bundle.get("reports") or [] if r.get("sha256") == digest]
    if not issued:
        verdict.problems.append(
            "the report's bytes are not those of any report issued as of this bundle"
        )
    elif issued[0].get("chain_head") != head:
        verdict.problems.append("the report issued with these bytes names another chain head")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sib_verify", description=__doc__.split("\n")[0])
    parser.add_argument("bundle", help="the verification bundle (JSON)")
    parser.add_argument("report", nargs="?", help="a report PDF to check against it")
    parser.add_argument(
        "--certificate-sha256", help="the ledger certificate's fingerprint you were given"
    )
    parser.add_argument("--previous", help="a bundle of the same programme downloaded before")
    args = parser.parse_args(argv)
    try:
        with open(args.bundle, "rb") as handle:
            bundle = json.load(handle)
        previous = None
        if args.previous:
            with open(args.previous, "rb") as handle:
                previous = json.load(handle)
        report = None
        if args.report:
            with open(args.report, "rb") as handle:
                report = handle.read()
        verdict = bundle_verify(
            bundle,
            report=report,
            previous=previous,
            certificate_sha256=args.certificate_sha256,
        )
    except ImportError as exc:
        print(f"error: {exc.name} is missing: pip install pyhanko", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for fact in verdict.facts:
        print(fact)
    for problem in verdict.problems:
        print(f"FAIL: {problem}")
    print("VERIFIED" if verdict.ok else "NOT VERIFIED")
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
