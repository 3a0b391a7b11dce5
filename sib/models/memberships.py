import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sib.models.parties import Organisation
from sib.models.programmes import Programme


class Role(models.TextChoices):
    FUND_MANAGER = "fund_manager", _("Fund manager")
    EVALUATOR = "evaluator", _("Evaluator")
    LEAD_EVALUATOR = "lead_evaluator", _("Lead evaluator")
    PUBLIC_FUNDER = "public_funder", _("Public funder")
    INVESTOR = "investor", _("Investor")


# Insert, update and delete: a revocation deletes the row, and the audit history keeps it.
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Membership(models.Model):
    """A user's role on one programme. A role on programme A gives nothing on programme B."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The investor organisation an investor member sees; the payer for a funder.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "sib_membership"
        constraints = [
            models.UniqueConstraint(fields=["user", "programme", "role"], name="membership_unique"),
            models.CheckConstraint(
                condition=~Q(role="investor") | Q(organisation__isnull=False),
                name="membership_investor_has_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} on {self.programme}"
