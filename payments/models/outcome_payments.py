"""Outcome payment lines: what each payer owes for which verified results.

One row per payable line of the "actual" schedule version it was computed in. A line
names the exact verified result ids behind it, the (indexed) unit price, and through
its schedule version the contract version (digest of the rules) that priced it. Lines
are derived data: a later verification gives a new schedule version with its own lines;
the current lines are those of the programme's latest actual version.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from payments.models.schedules import ScheduleVersion
from sib.db.insert_only import InsertOnlyModel
from sib.models import Programme


class OutcomePaymentLine(InsertOnlyModel):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        ScheduleVersion, on_delete=models.PROTECT, related_name="payment_lines"
    )
    position = models.PositiveIntegerField()
    metric = models.CharField(max_length=40)
    cohort = models.CharField(max_length=40)
    period = models.CharField(max_length=40)
    result_ids = ArrayField(models.BigIntegerField())
    count = models.PositiveIntegerField()
    amount = models.BigIntegerField(help_text="Minor units.")
    unit_price = models.BigIntegerField(null=True)
    improvement = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    share_percent = models.DecimalField(max_digits=9, decimal_places=4, null=True)
    payers = models.JSONField(help_text='[{"payer": slug, "amount": minor units}, ...]')

    class Meta(InsertOnlyModel.Meta):
        db_table = "payments_outcome_payment_line"
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="payment_line_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.metric}/{self.cohort}/{self.period}: {self.amount}"
