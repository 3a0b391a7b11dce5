import pghistory
from django.contrib.postgres.fields import ArrayField
from django.db import models


class OrganisationKind(models.TextChoices):
    OUTCOME_PAYER = "outcome_payer", "Outcome payer"
    INVESTOR = "investor", "Investor"
    SERVICE_PROVIDER = "service_provider", "Service provider"
    EVALUATOR = "evaluator", "Independent evaluator"
    INTERMEDIARY = "intermediary", "Intermediary"


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
