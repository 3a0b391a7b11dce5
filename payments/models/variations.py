"""Contract variations: dated, chained changes of an active programme's terms.

Terms are frozen once a programme is active (sib.services.EDITABLE_WHEN_ACTIVE); real
deals still change by agreement, each change with an effective date: a price changed, a
pause and its resumption, a cohort dropped. Each is one insert-only row, chained (kind
"payments.programme_variation"), never edited: a later variation supersedes it from its
own date. The contract terms (payments.contract) carry every variation in force, so the
schedule at a chain state applies exactly the variations chained at or before it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sib.db.insert_only import InsertOnlyModel
from sib.models import Programme


class VariationKind(models.TextChoices):
    PRICE_CHANGE = "price_change", _("Price change")
    PAUSE = "pause", _("Pause")
    RESUME = "resume", _("Resume")
    COHORT_REMOVED = "cohort_removed", _("Cohort removed")
    EARLY_REDEMPTION = "early_redemption", _("Early redemption")


class ProgrammeVariation(InsertOnlyModel):
    """One dated variation of a programme's terms; `parameters` as the kind needs them.

    price_change: {"metric": code, "price": minor units}; cohort_removed: {"cohort": code};
    pause, resume, early_redemption: {}.
    """

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=VariationKind.choices)
    effective_date = models.DateField()
    reason = models.TextField()
    parameters = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(InsertOnlyModel.Meta):
        db_table = "payments_programme_variation"
        ordering = ["effective_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason__regex=r"^\s*$"), name="variation_reason_given"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=VariationKind.values), name="variation_kind_known"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=VariationKind.PRICE_CHANGE, parameters__has_keys=["metric", "price"])
                    | Q(kind=VariationKind.COHORT_REMOVED, parameters__has_key="cohort")
                    | Q(kind__in=[VariationKind.PAUSE, VariationKind.RESUME], parameters={})
                    | Q(kind=VariationKind.EARLY_REDEMPTION, parameters={})
                ),
                name="variation_parameters_by_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} from {self.effective_date} on {self.programme_id}"


def variation_terms(*, programme_id: int) -> list[dict[str, object]]:
    """Return the programme's variations as the contract terms carry them, in date order."""
    rows = ProgrammeVariation.objects.filter(programme_id=programme_id).order_by(
        "effective_date", "id"
    )
    return [
        {
            "effective_date": row.effective_date.isoformat(),
            "kind": row.kind,
            "parameters": row.parameters,
        }
        for row in rows
    ]
