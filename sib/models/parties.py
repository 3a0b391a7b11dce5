import pghistory
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    OUTCOME_PAYER = "outcome_payer", _("Outcome payer")
    INVESTOR = "investor", _("Investor")
    SERVICE_PROVIDER = "service_provider", _("Service provider")
    EVALUATOR = "evaluator", _("Independent evaluator")
    INTERMEDIARY = "intermediary", _("Intermediary")


@pghistory.track()
class Organisation(models.Model):
    """A legal body taking part in bonds: a payer, an investor, a provider, an evaluator..."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kinds = ArrayField(models.CharField(max_length=30, choices=OrganisationKind.choices))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "sib_organisation"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
