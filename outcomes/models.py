"""Outcome metrics, results, participant records and their four-eyes verification.

Design overview
---------------
*Definitions* (mutable while a deal is set up, audited by django-pghistory):
`Cohort` and `MeasurementPeriod` belong to a programme; a `Metric` says what is measured,
in which unit, which direction is better, and how it pays (`mechanism`, the JSON of
`outcomes.mechanisms`, validated by `outcomes.metrics_validation`). A metric lists the
cohorts and periods it is measured for.

*Facts* (insert-only, see sib.db.insert_only: trigger + privileges + model guard):
- `Result`: one submitted value for metric × cohort × period, interim or final. An
  amendment is a new `Result` whose `amends` points at the verified one it corrects, with
  a reason. Nothing is ever edited. How results of one cell relate (a final replaces the
  interims for payment; a second result is an amendment, a final after interims, or
  declared `additional` with a reason) is outcomes.cells.
- `ResultDecision`: the lead evaluator's verdict on a result, `verified` or `rejected`.
  At most one per result (a unique constraint: two leads racing get exactly one), and a
  trigger refuses it unless the decider is a lead evaluator of the programme and not the
  submitter. A result's state is derived: no decision → submitted; else the decision;
  a verified result with a verified amendment → superseded.
- `ResultReview`: a public funder accepts or disputes a verified result, with a comment.
  A dispute stays open until an amendment of the result is verified, or until it is
  withdrawn (`DisputeWithdrawal`, by the funder who raised it or a funder of the same
  payer). A funder bound to a payer disputes that payer's share only (payments.accrual);
  the payer is recorded on the review when it is made, so a later role change moves nothing.
- `Evidence`: a document attached to a result, kept under MEDIA_ROOT by its SHA-256.
- `ImportBatch`: one CSV file loaded (who, when, its SHA-256, how many rows).

*Participant records* (`ParticipantRecord`) back rate-card results: one row per
pseudonymised participant × metric × period with the date achieved (unique). They are
never updated; the only delete the database allows is of rows whose result was rejected,
so that the corrected file can be loaded again (the rejection itself stays, chained).

Verification, rejection, amendment and review events are appended to the programme's
hash chain (sib.chain) in the transaction that writes them; see outcomes.chain_kinds.
Every fact's insert is also an event of the audit history (django-pghistory, with the
acting user, URL and request id of its context), append-only like the facts themselves.
"""

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outcomes.pseudonym_field import PseudonymField
from sib.db.insert_only import InsertOnlyModel
from sib.models import Organisation, Programme


class Unit(models.TextChoices):
    PARTICIPANT_OUTCOME = "participant_outcome", _("Participant outcome (count)")
    PERCENTAGE_IMPROVEMENT = "percentage_improvement", _("Percentage improvement")
    COST_AVOIDED = "cost_avoided", _("Cost avoided (minor units)")


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher_is_better", _("Higher is better")
    LOWER_IS_BETTER = "lower_is_better", _("Lower is better")


class Stage(models.TextChoices):
    INTERIM = "interim", _("Interim")
    FINAL = "final", _("Final")


class Decision(models.TextChoices):
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class ReviewVerdict(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DISPUTED = "disputed", _("Disputed")


class ResultState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


@pghistory.track()
class Cohort(models.Model):
    """A group of participants entering the programme together."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="cohorts")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    planned_size = models.PositiveIntegerField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)

    class Meta:
        db_table = "outcomes_cohort"
        ordering = ["programme", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="cohort_code_unique")
        ]

    def __str__(self) -> str:
        return self.code


@pghistory.track()
class MeasurementPeriod(models.Model):
    """A dated window in which outcomes are measured (e.g. 2026-H1)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="periods")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    start_date = models.DateField()
    end_date = models.DateField()

    class Meta:
        db_table = "outcomes_period"
        ordering = ["programme", "start_date", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="period_code_unique"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="period_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.code


@pghistory.track()
class Metric(models.Model):
    """What is measured and how it pays (`mechanism`: see outcomes.mechanisms)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="metrics")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    definition = models.TextField()
    unit = models.CharField(max_length=30, choices=Unit.choices)
    direction = models.CharField(
        max_length=20, choices=Direction.choices, default=Direction.HIGHER_IS_BETTER
    )
    evidence_required = models.TextField(blank=True)
    mechanism = models.JSONField()
    max_count = models.PositiveIntegerField(null=True, blank=True)
    max_amount = models.BigIntegerField(null=True, blank=True, help_text="Minor units.")
    target_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    cohorts = models.ManyToManyField(
        Cohort, related_name="metrics", db_table="outcomes_metric_cohort"
    )
    periods = models.ManyToManyField(
        MeasurementPeriod, related_name="metrics", db_table="outcomes_metric_period"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "outcomes_metric"
        ordering = ["programme", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="metric_code_unique"),
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gte=0),
                name="metric_max_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def mechanism_kind(self) -> str:
        return str((self.mechanism or {}).get("kind", ""))

    @property
    def by_occurrence(self) -> bool:
        """Return whether it pays a participant more than once: a record per occurrence.

        `payable_per_participant` N or "each" (outcomes.mechanisms.RateCardMechanism); the
        records' `occurrence` is then their date achieved (ParticipantRecord).
        """
        return (self.mechanism or {}).get("payable_per_participant", 1) != 1


@pghistory.track(pghistory.InsertEvent())
class ImportBatch(InsertOnlyModel):
    """One CSV file loaded in full (a rejected file leaves no batch: all or nothing)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)  # "participants" or "results"
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(InsertOnlyModel.Meta):
        db_table = "outcomes_import_batch"


@pghistory.track(pghistory.InsertEvent())
class Result(InsertOnlyModel):
    """A submitted value for metric × cohort × period; an amendment links to what it corrects."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="results")
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="results")
    period = models.ForeignKey(MeasurementPeriod, on_delete=models.PROTECT, related_name="results")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    value = models.DecimalField(max_digits=20, decimal_places=6)
    comparison_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    sample_size = models.PositiveIntegerField(null=True, blank=True)
    comparison_sample_size = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    amends = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amendments"
    )
    amendment_reason = models.TextField(blank=True)
    # Declared on purpose beside the cell's other results, so both count (outcomes.cells);
    # the database gives these defaults too, for the set-based CSV import.
    additional = models.BooleanField(default=False, db_default=False)
    additional_reason = models.TextField(blank=True, default="", db_default="")
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="results"
    )
    from_participants = models.BooleanField(
        default=False, help_text="The value is the count of this result's participant records."
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta(InsertOnlyModel.Meta):
        db_table = "outcomes_result"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="result_value_not_negative"),
            models.CheckConstraint(
                condition=Q(comparison_value__isnull=True) | Q(comparison_value__gte=0),
                name="result_comparison_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(amends__isnull=True) | ~Q(amendment_reason=""),
                name="result_amendment_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(additional=False) | ~Q(additional_reason=""),
                name="result_additional_has_reason",
            ),
            # Participant records point at (id, metric, cohort, period) in one foreign key.
            models.UniqueConstraint(
                fields=["id", "metric", "cohort", "period"], name="result_identity_for_records"
            ),
        ]
        indexes = [models.Index(fields=["programme", "metric", "cohort", "period"])]

    def __str__(self) -> str:
        return f"result {self.pk}"


@pghistory.track(pghistory.InsertEvent())
class ResultDecision(InsertOnlyModel):
    """A lead evaluator's verdict on one result: exactly one, never by the submitter."""

    result = models.OneToOneField(Result, on_delete=models.PROTECT, related_name="decision")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(blank=True)
    participants_sha256 = models.CharField(
        max_length=64,
        blank=True,
        help_text="Digest of the result's participant records when decided; the rows of a "
        "rejected result are deleted, so its chain entry relies on this copy.",
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta(InsertOnlyModel.Meta):
        db_table = "outcomes_result_decision"
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="verified") | ~Q(comment=""),
                name="decision_rejection_has_comment",
            )
        ]


@pghistory.track(pghistory.InsertEvent())
class ResultReview(InsertOnlyModel):
    """A public funder's acceptance or dispute of a verified result."""

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="reviews")
    verdict = models.CharField(max_length=10, choices=ReviewVerdict.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(default=timezone.now)
    # The payer whose share a dispute holds, fixed when the review is made: the payer its
    # funder was bound to then (none: every payer). A later change of the funder's role
    # moves no money. Reviews made before migration 0011 have `payer_recorded` NULL: their
    # payer is still read from the funder's membership (outcomes.selectors.open_disputes).
    payer = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payer_recorded = models.BooleanField(null=True, default=True, editable=False)

    class Meta(InsertOnlyModel.Meta):
        db_table = "outcomes_result_review"
        constraints = [
            models.UniqueConstraint(fields=["result", "reviewer"], name="review_once_per_funder"),
            models.CheckConstraint(
                condition=Q(verdict="accepted") | ~Q(comment=""),
                name="review_dispute_has_comment",
            ),
        ]


@pghistory.track(pghistory.InsertEvent())
class DisputeWithdrawal(InsertOnlyModel):
    """A dispute withdrawn by a public funder: the result's amount is due again.

    At most one per dispute (the one-to-one key: a second withdrawal is refused), and a
    trigger refuses it unless the review is a dispute and the withdrawer is a public
    funder of the programme who raised it or is bound to the same payer (migration 0008).
    """

    review = models.OneToOneField(ResultReview, on_delete=models.PROTECT, related_name="withdrawal")
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    withdrawn_at = models.DateTimeField(default=timezone.now)

    class Meta(InsertOnlyModel.Meta):
        db_table = "outcomes_dispute_withdrawal"
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="withdrawal_has_reason")
        ]


@pghistory.track(pghistory.InsertEvent())
class Evidence(InsertOnlyModel):
    """A document backing a result, stored once under MEDIA_ROOT by its SHA-256."""

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to="evidence/", max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta(InsertOnlyModel.Meta):
        db_table = "outcomes_evidence"
        constraints = [
            models.UniqueConstraint(fields=["result", "sha256"], name="evidence_once_per_result")
        ]


class ParticipantRecord(models.Model):
    """One pseudonymised participant's outcome: never the provider's own id.

    `pseudonym` is HMAC-SHA256(per-programme key, provider's id) (outcomes.pseudonyms),
    stored as its 32 bytes and read as hex (outcomes.pseudonym_field, migration 0014).
    Metric, cohort and period are repeated from the result for the uniqueness rule and
    checked against it once per statement by a trigger (migrations 0003, 0004, 0013).

    `result` has a BRIN index, not a B-tree: records arrive by whole files, so a result's
    rows sit in a few block ranges, and a bulk load does not pay a third B-tree update
    per row (outcomes.csv_import).
    """

    result = models.ForeignKey(
        Result,
        on_delete=models.PROTECT,
        related_name="participant_records",
        db_constraint=False,
        db_index=False,
    )
    # No single-column index either: the unique constraint below leads with metric.
    metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    period = models.ForeignKey(
        MeasurementPeriod,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    pseudonym = PseudonymField()
    achieved_on = models.DateField()
    # The date achieved again, when the metric pays a participant more than once
    # (`payable_per_participant` N or "each"): each occurrence is its own record, one per
    # day. Null otherwise, so the unique rule below stays one record per participant,
    # metric and period. A statement trigger checks it follows the metric (migration 0013).
    occurrence = models.DateField(null=True, blank=True)

    class Meta:
        db_table = "outcomes_participant_record"
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "period", "pseudonym", "occurrence"],
                nulls_distinct=False,
                name="participant_once_per_metric_period_occurrence",
            )
        ]
        indexes = [
            BrinIndex(fields=["result"], name="participant_record_result_brin", autosummarize=True)
        ]


class ImportJobStatus(models.TextChoices):
    # Checked on the portal, waiting for its confirmation (outcomes.import_checks): it
    # counts nowhere, and is deleted when not confirmed (import_checks_prune).
    CHECKED = "checked", _("Checked, awaiting confirmation")
    QUEUED = "queued", _("Queued")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


class ImportJob(models.Model):
    """A CSV file queued for the import workers (outcomes.import_jobs).

    The file waits in storage only until its job ends, imported or refused: it still holds
    the provider's raw participant ids, which the import replaces by pseudonyms.
    """

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to="imports/")
    filename = models.CharField(max_length=255)
    # The SHA-256 of the file checked: a confirmation names it, and imports only that file.
    sha256 = models.CharField(max_length=64, blank=True, default="")
    decimal_comma = models.BooleanField(default=False)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.INTERIM)
    over_planned_size = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text="The first errors, as the API lists them."
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "outcomes_import_job"
