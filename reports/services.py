"""Request, build, publish and verify evaluation reports.

A request names a programme, an edition and a language; the report covers the programme's
ledger as it is at that moment (its chain head). The same state is never built twice: a
second request for it returns the first row. Building runs in a Celery task queued through
the outbox (reports.tasks), so a request that rolls back queues nothing and a queued build
is never lost.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypdf import PdfReader
from pypdf.errors import PdfReadError

import sib_verify
from reports.document import KEYWORD_HEAD, KEYWORD_PROGRAMME
from reports.models import STATUS_IN_A_SENTENCE, Edition, Language, Report, ReportStatus
from reports.notices import notice_data
from reports.rendering import render_report
from reports.selectors.report import mask_threshold_setting, report_data
from reports.selectors.state import chain_state
from reports.signing import report_sign
from sib.chain import GENESIS, chain_contains
from sib.chain_verification import chain_verify
from sib.checkpoints import checkpoint_issue
from sib.exceptions import Conflict
from sib.models import ChainEntry, Organisation, PartyRole, Programme, ProgrammeParty, User
from sib.outbox import outbox_enqueue
from sib.signing import signing_identity

logger = logging.getLogger(__name__)

BUILD_TASK = "reports.build"

# A build that has not finished after this long is taken to be dead (its worker was killed
# past Celery's hard time limit), and the report may be claimed again.
BUILD_LEASE = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


# --- request -------------------------------------------------------------------------------


def report_request(
    *,
    programme: Programme,
    edition: str,
    language: str,
    user: User | None,
    payer: Organisation | None = None,
) -> tuple[Report, bool]:
    """Return the report of the programme's current state, queueing a build if needed.

    The boolean says whether a build was queued by this call (a new state, or a state
    whose previous build failed or died). A payment notice (edition `payer_notice`)
    names the outcome `payer` it is addressed to; the report editions name none.
    """
    if edition not in Edition.values:
        raise ValidationError({"edition": f"Must be one of {', '.join(Edition.values)}."})
    if language not in Language.values:
        raise ValidationError({"language": f"Must be one of {', '.join(Language.values)}."})
    if (edition == Edition.PAYER_NOTICE) != (payer is not None):
        raise ValidationError({"payer": _("A payment notice, and only a notice, names a payer.")})
    if (
        payer is not None
        and not ProgrammeParty.objects.filter(
            programme=programme, organisation=payer, role=PartyRole.OUTCOME_PAYER
        ).exists()
    ):
        raise ValidationError({"payer": _("This organisation is not an outcome payer here.")})
    state = chain_state(programme=programme)
    with transaction.atomic():
        # get_or_create retries the read when a concurrent request inserted the same state
        # first (the unique constraint), so both callers get the one row.
        report, created = Report.objects.get_or_create(
            programme=programme,
            edition=edition,
            language=language,
            chain_head=state.head,
            payer=payer,
            defaults={
                "chain_seq": state.seq,
                "mask_threshold": mask_threshold_setting(),
                "requested_by": user,
            },
        )
        queued = created or _requeue(report)
        if queued:
            outbox_enqueue(task_name=BUILD_TASK, kwargs={"report_id": report.pk})
    if queued and not created:
        report.refresh_from_db()
    return report, queued


def _requeue(report: Report) -> bool:
    """Put a failed (or abandoned) build back in the queue; return whether it was."""
    stale = timezone.now() - BUILD_LEASE
    return bool(
        Report.objects.filter(pk=report.pk)
        .filter(
            Q(status=ReportStatus.FAILED) | Q(status=ReportStatus.BUILDING, started_at__lt=stale)
        )
        .update(status=ReportStatus.QUEUED, progress=0, failure="", updated_at=timezone.now())
    )


# --- build ---------------------------------------------------------------------------------


class BuildTracker:
    """Write a build's claim, progress and failure through one database connection.

    The task passes a connection of its own in autocommit, so that pollers see "building"
    and the progress while the build's own transaction is still open; called directly (the
    `report` command, tests) the tracker writes through the default connection.
    """

    def __init__(self, db: Any = None) -> None:
        self.db = db or connection

    def _execute(self, sql: str, params: list[Any]) -> int:
        with self.db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def claim(self, report_id: int) -> bool:
        # A conditional UPDATE: of two workers given the same report (a redelivered
        # message, a second request after a failure), exactly one moves it to building.
        return (
            self._execute(
                "UPDATE reports_report SET status = 'building', progress = 5, failure = '', "
                "started_at = now(), updated_at = now() WHERE id = %s AND (status = 'queued' "
                "OR (status = 'building' AND started_at < now() - %s))",
                [report_id, BUILD_LEASE],
            )
            == 1
        )

    def progress(self, report_id: int, percent: int) -> None:
        self._execute(
            "UPDATE reports_report SET progress = %s, updated_at = now() "
            "WHERE id = %s AND status = 'building'",
            [percent, report_id],
        )

    def fail(self, report_id: int, reason: str) -> None:
        self._execute(
            "UPDATE reports_report SET status = 'failed', failure = %s, finished_at = now(), "
            "updated_at = now() WHERE id = %s AND status = 'building'",
            [reason[:2000], report_id],
        )


def report_render(
    *,
    programme: Programme,
    edition: str,
    language: str,
    chain_head: str | None = None,
    mask_threshold: int | None = None,
    tracker_step: Any = None,
    payer: Organisation | None = None,
) -> bytes:
    """Return the PDF of the programme as of `chain_head` (default: now), without storing it."""
    state = chain_state(programme=programme, head=chain_head)
    if edition == Edition.PAYER_NOTICE:
        if payer is None:
            raise ValueError("a payment notice needs its payer")
        notice = notice_data(programme=programme, payer=payer, language=language, state=state)
        return render_report(notice)
    data = report_data(
        programme=programme,
        edition=edition,
        language=language,
        state=state,
        mask_threshold=mask_threshold,
    )
    if tracker_step is not None:
        tracker_step(60)
    return render_report(data)


def report_build(*, report_id: int, tracker: BuildTracker | None = None) -> Report | None:
    """Build, sign and store a queued report; return None when there was nothing to do.

    Safe to run again: a report that is ready, failed or being built by someone else is
    left alone. A build that raises is recorded as failed with the reason (asking for the
    report again re-queues it) rather than retried: the same state fails the same way.
    """
    tracker = tracker or BuildTracker()
    if not tracker.claim(report_id):
        return None
    report = Report.objects.select_related("programme", "payer").get(pk=report_id)
    try:
        # A savepoint: a failed build leaves the caller's transaction usable.
        with transaction.atomic():
            tracker.progress(report_id, 10)
            pdf = report_render(
                programme=report.programme,
                edition=report.edition,
                language=report.language,
                chain_head=report.chain_head,
                mask_threshold=report.mask_threshold,
                tracker_step=lambda percent: tracker.progress(report_id, percent),
                payer=report.payer,
            )
            # Issuing: the signature is the last step, over the deterministic rendering,
            # and the head the report prints is published as a signed checkpoint.
            pdf = report_sign(pdf)
            checkpoint_issue(programme=report.programme, seq=report.chain_seq)
            tracker.progress(report_id, 95)
            Report.objects.filter(pk=report_id, status=ReportStatus.BUILDING).update(
                status=ReportStatus.READY,
                pdf=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
                size=len(pdf),
                signed_at=timezone.now(),
                progress=100,
                finished_at=timezone.now(),
                updated_at=timezone.now(),
            )
    except Exception as exc:
        logger.exception("report %s failed to build", report_id)
        tracker.fail(report_id, f"{type(exc).__name__}: {exc}")
    return Report.objects.get(pk=report_id)


def report_sign_unsigned() -> int:
    """Sign the reports issued before reports were signed; return how many were signed.

    Their stored bytes become the signed file (a new SHA-256): a copy downloaded before
    no longer verifies as issued, and must be downloaded again.
    """
    signed = 0
    for report_id in Report.objects.filter(
        status=ReportStatus.READY, signed_at__isnull=True
    ).values_list("pk", flat=True):
        with transaction.atomic():
            report = (
                Report.objects.with_pdf()
                .select_for_update()
                .select_related("programme")
                .get(pk=report_id)
            )
            if report.signed_at is not None or report.pdf is None:
                continue  # signed meanwhile by another run
            pdf = report_sign(bytes(report.pdf))
            checkpoint_issue(programme=report.programme, seq=report.chain_seq)
            Report.objects.filter(pk=report_id).update(
                pdf=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
                size=len(pdf),
                signed_at=timezone.now(),
                updated_at=timezone.now(),
            )
            signed += 1
    return signed


# --- publish -------------------------------------------------------------------------------


def report_publish(*, report: Report, user: User) -> Report:
    """Make a ready public report downloadable by anyone at its stable URLs."""
    if report.edition != Edition.PUBLIC:
        raise ValidationError(
            {"edition": gettext_lazy("Only the public edition can be published.")}
        )
    if report.status != ReportStatus.READY:
        raise Conflict(
            gettext_lazy("Only a ready report can be published; this one is %(status)s."),
            code="publish_needs_ready",
            params={"status": STATUS_IN_A_SENTENCE.get(report.status, report.status)},
        )
    if not report.published:
        # Conditional, so two managers publishing at once record one publication.
        Report.objects.filter(pk=report.pk, published=False).update(
            published=True,
            published_at=timezone.now(),
            published_by=user,
            updated_at=timezone.now(),
        )
        report.refresh_from_db()
    return report


# --- verify --------------------------------------------------------------------------------


class UnreadableReport(ValidationError):
    """The file is not a PDF, or carries no chain head."""


@dataclass(frozen=True)
class ReportVerification:
    """What a report file says about the ledger, checked against the ledger now."""

    sha256: str
    chain_head: str
    programme: Programme | None
    # The head is a state of that programme's ledger: its position in the chain.
    in_chain: bool
    chain_seq: int | None
    # The programme's whole chain recomputes from the records (nothing changed since).
    ledger_ok: bool | None
    ledger_entries: int | None
    ledger_head: str | None
    first_break: str
    # A report with these very bytes was issued by this system.
    issued_report: Report | None
    # Empty when the file carries the ledger's intact signature over every byte.
    signature_problem: str = ""
    signature_code: str = ""  # sib_verify.PdfSignatureCheck.code

    @property
    def signature_ok(self) -> bool:
        return not self.signature_problem

    @property
    def issued(self) -> bool:
        return self.issued_report is not None

    @property
    def problems(self) -> list[str]:
        """Return every reason not to trust the file, in plain words (empty: trust it)."""
        problems = []
        if self.signature_problem:
            problems.append(_signature_problem(self.signature_code, self.signature_problem))
        if not self.issued:
            problems.append(
                _("Not issued: no report with these exact bytes (SHA-256) was issued here.")
            )
        if self.programme is None:
            problems.append(_("The report names a programme this ledger does not hold."))
        elif not self.in_chain:
            problems.append(_("The chain head printed in the report is not a state of the ledger."))
        elif not self.ledger_ok:
            problems.append(
                _("The ledger no longer verifies: %(reason)s.") % {"reason": self.first_break}
            )
        return problems

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """Return one plain sentence a payer can act on."""
        if self.programme is None:
            return "The report names a programme this ledger does not hold."
        if not self.in_chain:
            return (
                f"The chain head printed in the report is NOT a state of the ledger of "
                f"{self.programme.slug}."
            )
        if not self.ledger_ok:
            return (
                f"The chain head is state #{self.chain_seq} of {self.programme.slug}, but the "
                f"ledger no longer verifies: {self.first_break}."
            )
        if not (self.signature_ok and self.issued):
            reasons = [self.signature_problem] if self.signature_problem else []
            if not self.issued:
                reasons.append("no report with these exact bytes was issued")
            return (
                f"The chain head is state #{self.chain_seq} of {self.programme.slug}'s ledger, "
                f"but this file is NOT a report issued by it: {'; '.join(reasons)}."
            )
        return (
            f"This is report {self.issued_report.pk if self.issued_report else ''}, signed and "
            f"issued by this ledger; its chain head is state #{self.chain_seq} of "
            f"{self.programme.slug}'s ledger, and the ledger verifies "
            f"({self.ledger_entries} entries)."
        )


def _signature_problem(code: str, problem: str) -> str:
    said = {
        "unsigned": _("Signature: the report is not signed."),
        "several": _("Signature: the report carries more than one signature."),
        "altered": _("Signature: the file was changed after it was signed."),
        "other_certificate": _("Signature: the report was signed by another certificate."),
        "appended": _("Signature: bytes were added to the file after it was signed."),
    }
    return said.get(code) or _("Signature: %(problem)s.") % {"problem": problem}


_HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


def report_file_fields(content: bytes) -> tuple[str, str | None]:
    """Return (chain head, programme slug or None) read from a report PDF."""

    if not content.startswith(b"%PDF-"):
        raise UnreadableReport({"file": "This is not a PDF file."})
    try:
        reader = PdfReader(io.BytesIO(content))
        metadata = reader.metadata
        keywords = str(metadata.get("/Keywords", "") or "") if metadata is not None else ""
    except (PdfReadError, ValueError, KeyError) as exc:
        raise UnreadableReport({"file": f"The PDF cannot be read: {exc}"}) from exc
    head = slug = None
    for word in (w.strip() for w in keywords.split(",")):
        if word.startswith(KEYWORD_HEAD):
            head = word.removeprefix(KEYWORD_HEAD)
        elif word.startswith(KEYWORD_PROGRAMME):
            slug = word.removeprefix(KEYWORD_PROGRAMME)
    if head is None:
        # A report whose metadata was stripped (printed to PDF again...): the ledger
        # section prints the head in full; it is the last 64-digit hash in the text.
        try:
            text = "\n".join(page.extract_text() or "" for page in reader.pages[-3:])
        except Exception as exc:  # pypdf raises many types on damaged files
            raise UnreadableReport({"file": f"The PDF text cannot be read: {exc}"}) from exc
        found = _HEX64.findall(text)
        if not found:
            raise UnreadableReport({"file": "No chain head found in this report."})
        head = found[-1]
    if not re.fullmatch(r"[0-9a-f]{64}", head):
        raise UnreadableReport({"file": "The chain head in this report is malformed."})
    return head, slug


def report_verify_file(*, content: bytes, programme: Programme | None = None) -> ReportVerification:
    """Check a report file: signed and issued here, its head a state of a ledger that verifies.

    `programme` is the one the caller is entitled to (the API); when the file names another,
    or none, the head is looked up in that programme only.
    """
    head, slug = report_file_fields(content)
    digest = hashlib.sha256(content).hexdigest()
    if programme is None:
        programme = Programme.objects.filter(slug=slug).first() if slug else None
        if programme is None and head != GENESIS:
            entry = ChainEntry.objects.filter(hash=head).select_related("programme").first()
            programme = entry.programme if entry is not None else None
    if programme is None:
        signature = sib_verify.pdf_signature_check(content, signing_identity().certificate)
        return ReportVerification(
            digest,
            head,
            None,
            False,
            None,
            None,
            None,
            None,
            "",
            None,
            signature.problem,
            signature.code,
        )
    entry = None if head == GENESIS else chain_contains(programme_id=programme.pk, hash_value=head)
    in_chain = head == GENESIS or entry is not None
    result = chain_verify(programme_id=programme.pk)
    # Issued: byte for byte one of the signed reports this ledger stored, for this head
    # (a file with one byte appended, or rebuilt and never issued, is not).
    issued = Report.objects.filter(
        programme=programme, status=ReportStatus.READY, sha256=digest, chain_head=head
    ).first()
    signature = sib_verify.pdf_signature_check(content, signing_identity().certificate)
    first_break = ""
    if result.first_break is not None:
        b = result.first_break
        first_break = f"entry #{b.seq} ({b.kind} {b.object_id}): {b.reason}"
    return ReportVerification(
        sha256=digest,
        chain_head=head,
        programme=programme,
        in_chain=in_chain,
        chain_seq=entry.seq if entry is not None else (0 if in_chain else None),
        ledger_ok=result.ok,
        ledger_entries=result.entries,
        ledger_head=result.head,
        first_break=first_break,
        issued_report=issued,
        signature_problem=signature.problem,
        signature_code=signature.code,
    )
