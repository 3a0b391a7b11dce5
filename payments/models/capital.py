"""Tranches, investor commitments and drawdowns, mapped 1:1 onto payments.engine.waterfall.

A `Tranche` row becomes an engine `Tranche` (its `key` is the engine id, `kind` the same
`TrancheKind`, `cap_type`/`cap_value` one of `AnnualRateCap`, `IrrCap`, `MultipleCap`,
`protects` the guarantee's protected tranche, `cover_percent` and `cover_limit` its
terms); each `Commitment` becomes an engine `Investor` whose `commitment` is the amount
(for a guarantor: its cover); each `Drawdown` not reversed becomes an engine `Drawdown`.

A guarantee covers `cover_percent` of the protected tranche's principal loss, at most
`cover_limit`; it has either or both (no percent: the whole loss; no limit: only the
guarantors' commitments bound it).
"""

from datetime import date
from decimal import Decimal
from typing import Any

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from payments.engine.terms import TrancheKind as EngineTrancheKind
from sib.db.insert_only import InsertOnlyModel
from sib.models import Organisation, Programme


class TrancheKind(models.TextChoices):
    SENIOR_LOAN = EngineTrancheKind.SENIOR_LOAN.value, _("Senior loan")
    SUBORDINATED_LOAN = EngineTrancheKind.SUBORDINATED_LOAN.value, _("Subordinated loan")
    EQUITY = EngineTrancheKind.EQUITY.value, _("Equity")
    RECOVERABLE_GRANT = EngineTrancheKind.RECOVERABLE_GRANT.value, _("Recoverable grant")
    GUARANTEE = EngineTrancheKind.GUARANTEE.value, _("Guarantee / first loss")


class CapType(models.TextChoices):
    NONE = "none", _("Uncapped")
    ANNUAL_RATE = "annual_rate", _("Annual rate (simple, ACT/365)")
    IRR = "irr", _("Internal rate of return")
    MULTIPLE = "multiple", _("Multiple of capital drawn")


@pghistory.track()
class Tranche(models.Model):
    """A class of capital in one programme: its rank, its return cap, for a guarantee its cover."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="tranches")
    key = models.SlugField(max_length=40, help_text="Stable id within the programme (engine id).")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=TrancheKind.choices)
    priority = models.PositiveSmallIntegerField(help_text="1 is repaid first.")
    cap_type = models.CharField(max_length=12, choices=CapType.choices, default=CapType.NONE)
    cap_value = models.DecimalField(
        max_digits=12,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="A rate as a fraction (0.05 = 5% p.a.) or a multiple (1.5).",
    )
    protects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="guarantees",
        help_text="Guarantees only: the tranche whose losses this one covers.",
    )
    cover_limit = models.BigIntegerField(
        null=True, blank=True, help_text="Guarantees only: most the guarantee pays, minor units."
    )
    cover_percent = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=(
            "Guarantees only: percent of the protected tranche's principal loss covered "
            "(50 = 50 %); none: the whole loss, up to the cover limit."
        ),
    )
    coupon = models.JSONField(
        null=True,
        blank=True,
        help_text=(
            "A coupon on principal banded on a measured rate, instead of a cap "
            "(payments.engine.coupon); none: no coupon."
        ),
    )
    redemption = models.JSONField(
        null=True,
        blank=True,
        help_text=(
            "Principal owed back at maturity, in full above a measured rate, else a floor, "
            "topped up by a payer (payments.engine.redemption); none: no redemption term."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "payments_tranche"
        ordering = ["programme", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "key"], name="tranche_key_unique"),
            models.UniqueConstraint(
                fields=["programme", "priority"], name="tranche_priority_unique"
            ),
            models.CheckConstraint(
                condition=Q(cap_type="none", cap_value__isnull=True)
                | (~Q(cap_type="none") & Q(cap_value__isnull=False)),
                name="tranche_cap_value_iff_capped",
            ),
            models.CheckConstraint(
                condition=~Q(cap_type="multiple") | Q(cap_value__gte=Decimal(1)),
                name="tranche_multiple_at_least_one",
            ),
            models.CheckConstraint(
                condition=Q(cap_value__isnull=True) | Q(cap_value__gte=Decimal(0)),
                name="tranche_cap_not_negative",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="guarantee", protects__isnull=False)
                    & (Q(cover_limit__gt=0) | Q(cover_limit__isnull=True))
                    & (
                        Q(cover_percent__gt=Decimal(0), cover_percent__lte=100)
                        | Q(cover_percent__isnull=True)
                    )
                    & ~Q(cover_limit__isnull=True, cover_percent__isnull=True)
                )
                | (
                    ~Q(kind="guarantee")
                    & Q(protects__isnull=True, cover_limit__isnull=True, cover_percent__isnull=True)
                ),
                name="tranche_guarantee_has_cover",
            ),
            models.CheckConstraint(
                condition=Q(coupon__isnull=True) | (~Q(kind="guarantee") & Q(cap_type="none")),
                name="tranche_coupon_uncapped_not_guarantee",
            ),
            models.CheckConstraint(
                condition=Q(redemption__isnull=True)
                | (
                    ~Q(kind="guarantee")
                    & Q(
                        redemption__has_keys=[
                            "maturity",
                            "metric",
                            "full_at_rate",
                            "floor_percent",
                            "payer",
                        ]
                    )
                ),
                name="tranche_redemption_terms_not_guarantee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def coupon_rates(self) -> dict[str, Any] | None:
        """Return the coupon as pages state it, rates in percent ("7.5"); None: no coupon."""
        if not self.coupon:
            return None
        percent = _percent
        rates = [percent(band["rate"]) for band in self.coupon["bands"]]
        minimum = percent(self.coupon.get("minimum_rate") or "0")
        return {
            "metric": self.coupon["metric"],
            "low": rates[0],
            "high": rates[-1],
            "minimum": minimum or None,
            "years": self.coupon.get("minimum_years") or 0,
        }

    @property
    def redemption_terms(self) -> dict[str, Any] | None:
        """Return the redemption as pages state it, rates in percent; None: no redemption."""
        if not self.redemption:
            return None
        return {
            "metric": self.redemption["metric"],
            "rate": _percent(self.redemption["full_at_rate"]),
            "floor": _percent(str(Decimal(self.redemption["floor_percent"]) / 100)),
            "maturity": date.fromisoformat(self.redemption["maturity"]),
        }


def _percent(fraction: str) -> Decimal:
    """Return a fraction ("0.075") in percent as pages write it (7.5, 15)."""
    value = Decimal(fraction) * 100
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


@pghistory.track()
class Commitment(models.Model):
    """An investor's promise of capital to one tranche; for a guarantor, the cover it gives."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    tranche = models.ForeignKey(Tranche, on_delete=models.PROTECT, related_name="commitments")
    investor = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField(help_text="Committed amount, minor units of the currency.")
    committed_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "payments_commitment"
        ordering = ["tranche__priority", "investor__name"]
        constraints = [
            models.UniqueConstraint(fields=["tranche", "investor"], name="commitment_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="commitment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.investor} in {self.tranche}: {self.amount}"


class Drawdown(InsertOnlyModel):
    """A dated capital call on a commitment, posted to the ledger as one transaction.

    Drawn capital is the sum of drawdowns whose transaction has not been reversed.
    """

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="drawdowns")
    called_on = models.DateField()
    amount = models.BigIntegerField()
    transaction = models.OneToOneField(
        "payments.LedgerTransaction", on_delete=models.PROTECT, related_name="drawdown"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(InsertOnlyModel.Meta):
        db_table = "payments_drawdown"
        ordering = ["called_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="drawdown_positive"),
        ]

    def __str__(self) -> str:
        return f"drawdown {self.amount} on {self.called_on}"
