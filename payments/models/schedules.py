"""Payment terms, contract versions and stored (versioned) schedules.

`PaymentTerms` is set-up data (audited by pghistory): the waterfall's ordered steps and
the programme-wide outcome-payment terms the metric rows do not carry (per-participant
cap, price indexation, the savings-share repayment target).

`ContractVersion` freezes everything a schedule depends on that is not itself a chained
fact: the outcome-payment rules, the waterfall, the tranches and guarantee covers, the
programme's dates and termination. Its digest is "the contract version" printed beside
every payment line. A new version is appended to the programme's hash chain when the
terms change, so the chain head alone identifies the inputs of a schedule.

`ScheduleVersion` is one computed document (canonical JSON) per (programme, chain head,
scenario, rules version): recomputing at the same head finds the row and changes nothing,
which is what makes the recompute task idempotent. The rules version
(payments.schedule_builder.RULES_VERSION) is the code that computed it: a stored
document is a cache of what the rules give at that head, and when a release changes
what they give, the rows of the rules before are no longer served.
"""

import pghistory
from django.db import models
from django.db.models import Q

from sib.db.insert_only import InsertOnlyModel
from sib.models import Programme

ACTUAL = "actual"


@pghistory.track()
class PaymentTerms(models.Model):
    """A programme's waterfall steps and outcome-payment terms (see docs/schedule-json.md)."""

    programme = models.OneToOneField(
        Programme, on_delete=models.PROTECT, related_name="payment_terms"
    )
    waterfall = models.JSONField(default=list, help_text="Ordered waterfall steps.")
    participant_cap = models.BigIntegerField(null=True, blank=True, help_text="Minor units.")
    indexation = models.JSONField(null=True, blank=True)
    savings_repayment_target = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Investors' principal plus agreed return, for savings-share metrics; "
        "computed from the tranches when empty.",
    )
    payer_splits = models.JSONField(
        default=list,
        blank=True,
        help_text="Payer shares per cohort and/or metric (payments.rules.payers), "
        "overriding the programme-wide shares where they apply.",
    )
    savings_switch = models.CharField(
        max_length=8,
        choices=[("target", "target"), ("repaid", "repaid")],
        default="target",
        help_text="When a savings share switches: at the repayment target, or once the "
        "investors' principal is repaid in the computed schedule.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "payments_terms"
        constraints = [
            models.CheckConstraint(
                condition=Q(savings_switch__in=["target", "repaid"]),
                name="terms_savings_switch_known",
            ),
        ]

    def __str__(self) -> str:
        return f"terms of {self.programme}"


class ContractVersion(InsertOnlyModel):
    """The canonical terms a schedule was computed from, chained when they change."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    digest = models.CharField(max_length=64)
    definition = models.TextField(help_text="Canonical JSON of the terms.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(InsertOnlyModel.Meta):
        db_table = "payments_contract_version"
        ordering = ["id"]
        indexes = [models.Index(fields=["programme", "-id"], name="contract_version_latest")]

    def __str__(self) -> str:
        return self.digest[:12]


class ScheduleVersion(InsertOnlyModel):
    """Outcome payments, distributions and investor metrics at one chain head, one scenario.

    `scenario` is "actual" (verified results, payments received) or "projection-<pct>"
    (forecast results at pct % of targets: never posted to the ledger).
    """

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    chain_head = models.CharField(max_length=64)
    scenario = models.CharField(max_length=30)
    is_projection = models.BooleanField()
    contract_version = models.ForeignKey(
        ContractVersion, on_delete=models.PROTECT, related_name="schedules"
    )
    content = models.TextField(help_text="Canonical JSON (docs/schedule-json.md).")
    sha256 = models.CharField(max_length=64)
    rules_version = models.PositiveSmallIntegerField(
        default=1, help_text="payments.schedule_builder.RULES_VERSION that computed it."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(InsertOnlyModel.Meta):
        db_table = "payments_schedule_version"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "chain_head", "scenario", "rules_version"],
                name="schedule_once_per_head_and_rules",
            ),
            models.CheckConstraint(
                condition=models.Q(scenario="actual", is_projection=False)
                | (~models.Q(scenario="actual") & models.Q(is_projection=True)),
                name="schedule_projection_iff_not_actual",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scenario} at {self.chain_head[:12]}"


class StatementVersion(InsertOnlyModel):
    """One investor's statement: its slice of an actual schedule (payments.statements)."""

    schedule = models.ForeignKey(
        ScheduleVersion, on_delete=models.PROTECT, related_name="statements"
    )
    investor = models.SlugField(max_length=80, help_text="The investor organisation's slug.")
    content = models.TextField(help_text="Canonical JSON of the statement.")
    sha256 = models.CharField(max_length=64)

    class Meta(InsertOnlyModel.Meta):
        db_table = "payments_statement_version"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "investor"], name="statement_once_per_schedule"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.investor} at {self.schedule}"
