"""The outcome payers' shares of a programme: the rules a party's share keeps.

An outcome payer has a fixed share (a percentage of each outcome payment), or pays the
rest (`payer_residual`: what the fixed shares leave and what their payers' caps stop,
payments.rules.payers), or no share at all (it pays only where a payer split names it).
The fixed shares sum to exactly 100 at activation, or to below 100 beside the payer of
the rest; one payer at most pays the rest.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from sib.models import Organisation, PartyRole, Programme, ProgrammeParty

# The share of a residual (top-up) payer in the programme format and the stored terms
# (payments.rules.payers.REST agrees; tests/payments/test_residual_payer.py checks it).
PAYER_SHARE_REST = "rest"

# The decimal places of ProgrammeParty.payer_share: a finer share is refused, not rounded.
PAYER_SHARE_PLACES = 4


def payer_share_places(share: Decimal | int) -> int:
    """Return how many decimal places `share` needs ("70.50" needs 1; 70 none)."""
    exponent = Decimal(share).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def payer_share_check(
    *,
    programme: Programme,
    organisation: Organisation,
    role: str,
    payer_share: Decimal | None,
    payer_residual: bool,
) -> None:
    """Refuse a new party's share (or its paying the rest) that breaks the rules above."""
    # An outcome payer without a share pays only where a payer split names it (a county
    # paying for its own cohort: payments.rules.payers); activation checks the rest.
    if role == PartyRole.OUTCOME_PAYER and payer_share is not None:
        if not (Decimal(0) < payer_share <= 100):
            raise ValidationError({"payer_share": _("An outcome payer needs a share in (0, 100].")})
        if payer_share_places(payer_share) > PAYER_SHARE_PLACES:
            # The column would round it: shares that sum to 100 here would not there.
            raise ValidationError(
                {
                    "payer_share": _(
                        "%(organisation)s's share %(share)s%% has more than %(places)s "
                        "decimal places, the precision the ledger keeps."
                    )
                    % {
                        "organisation": organisation.name,
                        "share": payer_share,
                        "places": PAYER_SHARE_PLACES,
                    }
                }
            )
        others = sum(
            (p.payer_share or Decimal(0))
            for p in programme.parties.filter(role=PartyRole.OUTCOME_PAYER)
        )
        if others + payer_share > 100:
            raise ValidationError(
                {
                    "payer_share": _("Payer shares would sum to %(total)s%%, above 100%%.")
                    % {"total": number_format(others + payer_share)}
                }
            )
    elif payer_share is not None:
        raise ValidationError({"payer_share": _("Only outcome payers have a share.")})
    if payer_residual:
        _residual_check(programme, organisation, role, payer_share)


def _residual_check(
    programme: Programme, organisation: Organisation, role: str, payer_share: Decimal | None
) -> None:
    if role != PartyRole.OUTCOME_PAYER:
        raise ValidationError({"payer_share": _("Only outcome payers pay the rest.")})
    if payer_share is not None:
        raise ValidationError(
            {
                "payer_share": _("%(organisation)s pays the rest: it has no share of its own.")
                % {"organisation": organisation.name}
            }
        )
    other = programme.parties.filter(payer_residual=True).select_related("organisation").first()
    if other is not None:
        raise ValidationError(
            {
                "payer_share": _(
                    "%(other)s already pays the rest: one payer at most pays the rest."
                )
                % {"other": other.organisation.name}
            }
        )


def payer_shares_total_check(payers: list[ProgrammeParty]) -> None:
    """Refuse to activate with payers' shares that do not add up (sib.services)."""
    total = sum((p.payer_share or Decimal(0) for p in payers), Decimal(0))
    residual = next((p for p in payers if p.payer_residual), None)
    if residual is not None and total >= 100:
        # The fixed shares beside a residual payer sum to below 100: it pays the rest.
        raise ValidationError(
            {
                "parties": _(
                    "The fixed shares sum to %(total)s%%: below 100%% is needed for "
                    "%(payer)s to pay the rest."
                )
                % {"total": number_format(total), "payer": residual.organisation.name}
            }
        )
    if residual is None and (not payers or total != 100):
        raise ValidationError(
            {
                "parties": _("Outcome payers' shares must sum to exactly 100%% (now %(total)s%%).")
                % {"total": number_format(total)}
            }
        )
