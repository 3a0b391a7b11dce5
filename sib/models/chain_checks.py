from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sib.models.programmes import Programme


class ChainCheckStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ChainCheckKind(models.TextChoices):
    FULL = "full", "Full"
    ROUTINE = "routine", "Routine"


class ChainCheck(models.Model):
    """One check of a programme's hash chain, run by a worker (sib.chain_checks).

    Asked for from the portal, or by the schedule (no `requested_by`). A full check
    recomputes the whole chain; a routine one the entries after the signed checkpoint that
    the last good check ended at (`from_seq`). Either, when it finds the chain whole, ends
    at a signed checkpoint of the head it verified (`to_seq`), where the next routine check
    starts. `result` is the verification as the page shows it
    (sib.chain_checks.result_as_dict): entries, head, ok, first break and what is missing.
    Not chained and not insert-only: a job record whose status moves on, like a report
    build; the chain itself is what it checks.
    """

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ChainCheckStatus.choices, default=ChainCheckStatus.QUEUED
    )
    kind = models.CharField(
        max_length=10, choices=ChainCheckKind.choices, default=ChainCheckKind.FULL
    )
    # The entries verified: those after from_seq up to to_seq (a full check: from 0).
    from_seq = models.PositiveBigIntegerField(null=True, blank=True)
    to_seq = models.PositiveBigIntegerField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    failure = models.TextField(blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "sib_chain_check"
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["programme", "-requested_at"], name="chain_check_latest")]
        constraints = [
            # At most one check waits or runs per programme: asking again joins it.
            models.UniqueConstraint(
                fields=["programme"],
                condition=models.Q(status__in=["queued", "running"]),
                name="chain_check_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"check of programme {self.programme_id}: {self.status}"
