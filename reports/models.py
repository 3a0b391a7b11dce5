"""Evaluation reports built from a programme's ledger, one row per state of the ledger.

Design overview
---------------
A `Report` is one edition (public or manager) in one language of one programme *at one
state of its hash chain*: `chain_head` is the hash of the last chain entry the report
covers and `chain_seq` its position. Everything the report prints is gathered "as of" that
entry (reports.selectors), so the same row can be rebuilt at any later time and gives the
same bytes; it is therefore unique per (programme, edition, language, chain_head), and a
second request for a state already built reuses it instead of rebuilding.

Life of a row: `queued` (requested, a build task is in the outbox) → `building` (a worker
claimed it; `progress` moves 0–100) → `ready` (the PDF, its SHA-256 and size are stored)
or `failed` (with `failure`; asking again re-queues it).

What is stored is the issued file: the deterministic rendering with the ledger's PAdES
signature appended (reports.signing), `sha256` its digest, `signed_at` when it was signed.

The PDF is kept in the row itself: a few hundred kilobytes, written in the same
transaction as `ready`, so a report is never "ready" without its bytes, and web and
worker need no shared file system. Lists never load it (`Report.objects` defers it).

A public edition may be `published`: then anyone, without logging in, can download it at
a stable URL (the latest published state, or this exact hash).

A payment notice (edition `payer_notice`, reports.notices) is the same kind of issued
document for ONE outcome payer (`payer`, set for this edition only): what its verified
results make it owe, what it paid, what is disputed and outstanding. It shares the whole
life above (request through the outbox, build, signature, verification), so it is unique
per (programme, edition, language, chain_head, payer); it is never published.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sib.models import Organisation, Programme


class Edition(models.TextChoices):
    PUBLIC = "public", _("Public")
    MANAGER = "manager", _("Fund manager")
    PAYER_NOTICE = "payer_notice", _("Outcome payment notice")


# The editions of the evaluation report proper (a notice is asked for per payer).
REPORT_EDITIONS = (Edition.PUBLIC, Edition.MANAGER)


class Language(models.TextChoices):
    FR = "fr", "Français"
    EN = "en", "English"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


# A report's status as it reads inside a sentence ("this one is being built"), translated.
STATUS_IN_A_SENTENCE: dict[str, Promise | str] = {
    ReportStatus.QUEUED: pgettext_lazy("report status in a sentence", "queued"),
    ReportStatus.BUILDING: pgettext_lazy("report status in a sentence", "being built"),
    ReportStatus.FAILED: pgettext_lazy("report status in a sentence", "failed"),
}


class ReportQuerySet(models.QuerySet["Report"]):
    def with_pdf(self) -> "ReportQuerySet":
        return self.defer(None)


class ReportManager(models.Manager["Report"]):
    def get_queryset(self) -> ReportQuerySet:
        # The PDF can be large; only downloads and the build ask for it.
        return ReportQuerySet(self.model, using=self._db).defer("pdf")

    def with_pdf(self) -> ReportQuerySet:
        return ReportQuerySet(self.model, using=self._db)


class Report(models.Model):
    """One edition and language of a programme's evaluation report at one ledger state."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="reports")
    edition = models.CharField(max_length=20, choices=Edition.choices)
    payer = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Payment notices only: the outcome payer the notice is addressed to.",
    )
    language = models.CharField(max_length=2, choices=Language.choices)
    chain_head = models.CharField(max_length=64, help_text="Hash of the last chain entry covered.")
    chain_seq = models.PositiveBigIntegerField(help_text="Number of chain entries covered.")
    mask_threshold = models.PositiveSmallIntegerField(
        help_text="Public edition: counts from 1 to this are masked."
    )
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    failure = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    pdf = models.BinaryField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the PDF was signed (empty: issued unsigned)."
    )
    size = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReportManager()

    class Meta:
        db_table = "reports_report"
        ordering = ["-created_at", "-id"]
        constraints = [
            # payer is NULL for both report editions: NULLs compare equal here, so a
            # report state is still built once.
            models.UniqueConstraint(
                fields=["programme", "edition", "language", "chain_head", "payer"],
                name="report_once_per_state",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(edition="payer_notice", payer__isnull=False)
                | (~Q(edition="payer_notice") & Q(payer__isnull=True)),
                name="report_payer_only_on_notices",
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="report_progress_at_most_100"
            ),
            # Only the public edition ever leaves the fund managers' hands.
            models.CheckConstraint(
                condition=Q(published=False) | Q(edition="public", status="ready"),
                name="report_only_ready_public_published",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | (Q(pdf__isnull=False) & ~Q(sha256="")),
                name="report_ready_has_pdf",
            ),
        ]
        indexes = [
            models.Index(
                fields=["programme", "language", "-published_at"],
                name="report_published_latest",
                condition=Q(published=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.edition}/{self.language} @{self.chain_head[:12]}"

    @property
    def filename(self) -> str:
        """Return the download name: slug, edition, language and the head's first 12 digits."""
        edition = self.edition
        if self.payer is not None:
            edition = f"notice-{self.payer.slug}"
        return f"{self.programme.slug}-{edition}-{self.language}-{self.chain_head[:12]}.pdf"
