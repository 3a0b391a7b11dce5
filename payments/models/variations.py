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
from django.db.models import F, Func, Q
from django.db.models.lookups import Exact
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
    GRANT_PAYMENTS = "grant_payments", _("Switch to grant payments")


GRANT_KEYS = ["periods", "amount"]


def _jsonb_type(key: str) -> Func:
    return Func(F(f"parameters__{key}"), function="jsonb_typeof", output_field=models.TextField())


def _grant_parameters() -> Q:
    """A grant's parameters as the engine reads them: a non-empty list of periods and a
    whole, positive amount (a JSON number written without a fraction or an exponent)."""
    return (
        Q(Exact(_jsonb_type("periods"), "array"))
        # Compared, not measured: jsonb_array_length would raise on a scalar, not refuse.
        & ~Q(parameters__periods=[])
        & Q(Exact(_jsonb_type("amount"), "number"))
        & Q(parameters__amount__regex=r"^[1-9][0-9]*$")
    )


class ProgrammeVariation(InsertOnlyModel):
    """One dated variation of a programme's terms; `parameters` as the kind needs them.

    price_change: {"metric": code, "price": minor units}; cohort_removed: {"cohort": code};
    pause, resume, early_redemption: {}; grant_payments: {"periods": [period codes],
    "amount": minor units, the grant for each period}.
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
                    | Q(kind=VariationKind.GRANT_PAYMENTS, parameters__has_keys=GRANT_KEYS)
                ),
                name="variation_parameters_by_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind=VariationKind.GRANT_PAYMENTS) | _grant_parameters(),
                name="variation_grant_parameters",
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
