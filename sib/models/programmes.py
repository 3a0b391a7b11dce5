from decimal import Decimal

import pghistory
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sib.models.parties import Organisation


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")
    TERMINATED = "terminated", _("Terminated")


class PseudonymRule(models.IntegerChoices):
    """How a programme turns a provider's participant id into a pseudonym (outcomes.pseudonyms)."""

    RAW = 1, _("Raw id, as given")
    NORMALISED = 2, _("Normalised id (NFKC, case-folded, invisible characters removed)")


@pghistory.track()
class Programme(models.Model):
    """The bond itself: one contract, one currency, its parties and its dates.

    Money is in integer minor units of `currency` everywhere (see sib.money).
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    currency = models.CharField(max_length=3)
    start_date = models.DateField()
    end_date = models.DateField()
    target_population = models.TextField(blank=True)
    # Null: the contract's cap is unknown (many real deals do not publish it); nothing is
    # then checked against a cap, and pages say "unknown", never a number.
    contract_cap = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Cap on all outcome payments, minor units; empty when unknown.",
    )
    status = models.CharField(
        max_length=12, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    termination_date = models.DateField(null=True, blank=True)
    termination_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Programmes that existed before rule 2 keep rule 1 (migration 0004): their pseudonyms
    # were computed from raw ids, which the ledger does not keep, so they cannot move.
    pseudonym_rule = models.PositiveSmallIntegerField(
        choices=PseudonymRule.choices,
        default=PseudonymRule.NORMALISED,
        db_default=PseudonymRule.NORMALISED,
        help_text="How participant ids are turned into pseudonyms (docs/results-csv.md).",
    )

    class Meta:
        db_table = "sib_programme"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")), name="programme_dates_ordered"
            ),
            models.CheckConstraint(condition=Q(contract_cap__gte=0), name="programme_cap_positive"),
            models.CheckConstraint(
                condition=Q(status=ProgrammeStatus.TERMINATED, termination_date__isnull=False)
                | ~Q(status=ProgrammeStatus.TERMINATED),
                name="programme_terminated_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def accepts_new_entries(self) -> bool:
        """A terminated or closed programme takes no new results or drawdowns."""
        return self.status in {ProgrammeStatus.DRAFT, ProgrammeStatus.ACTIVE}


class PartyRole(models.TextChoices):
    OUTCOME_PAYER = "outcome_payer", _("Outcome payer")
    SERVICE_PROVIDER = "service_provider", _("Service provider")
    EVALUATOR = "evaluator", _("Independent evaluator")
    INTERMEDIARY = "intermediary", _("Intermediary")
    INVESTOR = "investor", _("Investor")


@pghistory.track()
class ProgrammeParty(models.Model):
    """An organisation's part in one programme; outcome payers carry their share in percent."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="parties")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=PartyRole.choices)
    payer_share = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Outcome payers only: percent of each outcome payment (all payers sum to "
        "100); none for a payer that pays only where a payer split names it.",
    )
    payer_cap = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Outcome payers only: the most it owes over the contract, minor units; "
        "past it, its part of a payment is due from no one.",
    )

    payer_residual = models.BooleanField(
        default=False,
        help_text="Outcome payers only, with no share: it pays the rest of each outcome "
        "payment, what the other payers' shares leave and what their caps stop.",
    )

    class Meta:
        db_table = "sib_programme_party"
        ordering = ["programme", "role", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "organisation", "role"], name="party_once_per_role"
            ),
            models.CheckConstraint(
                condition=(
                    Q(role="outcome_payer", payer_share__gt=Decimal(0), payer_share__lte=100)
                    | Q(payer_share__isnull=True)
                ),
                name="party_payer_share_only_for_payers",
            ),
            models.CheckConstraint(
                condition=Q(payer_cap__isnull=True) | Q(role="outcome_payer", payer_cap__gte=0),
                name="party_payer_cap_only_for_payers",
            ),
            models.CheckConstraint(
                condition=Q(payer_residual=False)
                | Q(role="outcome_payer", payer_share__isnull=True),
                name="party_residual_payer_has_no_share",
            ),
            # One residual payer per programme: two would not say who pays the rest.
            models.UniqueConstraint(
                fields=["programme"],
                condition=Q(payer_residual=True),
                name="party_one_residual_payer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.role}) in {self.programme}"
