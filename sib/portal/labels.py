"""Translated names for the bond's codes (the models keep English labels for the API)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sib.models import PartyRole, ProgrammeStatus, Role

ROLE_LABELS: dict[str, Promise] = {
    Role.FUND_MANAGER: _("Fund manager"),
    Role.EVALUATOR: _("Evaluator"),
    Role.LEAD_EVALUATOR: _("Lead evaluator"),
    Role.PUBLIC_FUNDER: _("Public funder"),
    Role.INVESTOR: _("Investor"),
}

STATUS_LABELS: dict[str, Promise] = {
    ProgrammeStatus.DRAFT: _("Draft"),
    ProgrammeStatus.ACTIVE: _("Active"),
    ProgrammeStatus.CLOSED: _("Closed"),
    ProgrammeStatus.TERMINATED: _("Terminated"),
}

PARTY_ROLE_LABELS: dict[str, Promise] = {
    PartyRole.OUTCOME_PAYER: _("Outcome payer"),
    PartyRole.SERVICE_PROVIDER: _("Service provider"),
    PartyRole.EVALUATOR: _("Independent evaluator"),
    PartyRole.INTERMEDIARY: _("Intermediary"),
    PartyRole.INVESTOR: _("Investor"),
}


def label(labels: dict[str, Promise], code: str) -> str:
    """Return the translated label for a code, or the code itself when it has none yet."""
    return str(labels.get(code, code))
