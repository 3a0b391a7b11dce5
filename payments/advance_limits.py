"""The most a payer could ever owe over the contract: the bound on what it may pay ahead.

An advance is money a payer pays before it owes it (payments.services,
`payment_received_record` with `advance`). It is kept apart and met by later dues, so it
can never be more than the payer could ever owe (docs/ledger.md, "Advances"):

- the contract cap times the payer's share: its programme-wide `payer_share`, or where
  payer splits give it a larger share of some cohorts or metrics, that larger one (every
  result could fall there); rounded up to the cent, as an allocation may give it the
  extra cent;
- its own `payer_cap`, when it has one;
- whichever is lower when both apply; none when the contract cap is unknown and the payer
  has no cap of its own: then nothing bounds an advance;
- plus, whatever bounds its outcome payments, the principal redemptions it tops up (a
  tranche's `redemption` term naming it, payments.redemption_dues): at most 100 % of the
  principal drawn, so at most what the tranche's investors committed. Neither cap limits
  a redemption (payments.cap_use), so a payer may pay ahead towards one (docs/ledger.md,
  "Money paid ahead counts once").
"""

from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Decimal

from django.db.models import Sum

from payments.models import Commitment, PaymentTerms
from payments.rules.payers import REST
from sib.models import PartyRole, Programme, ProgrammeParty

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class MostOwed:
    """The bound on what a payer pays over the contract, and the rule that gives it."""

    limit: int
    # The contract cap and the payer's largest share, when that product is the bound.
    contract_cap: int | None = None
    share: Decimal | None = None
    # The payer's own cap, when it is the bound.
    payer_cap: int | None = None
    # The most the principal redemptions it tops up could come to (in `limit`).
    redemption: int = 0


def _largest_share(programme: Programme, party: ProgrammeParty) -> Decimal:
    """Return the payer's largest share of any payment, in percent (100 when none is set:
    a payer with neither share nor split pays nothing, and is bounded by the whole cap;
    100 for a payer of the rest, which may owe a whole line and what others' caps stop)."""
    if party.payer_residual:
        return HUNDRED
    shares = [party.payer_share] if party.payer_share is not None else []
    terms = PaymentTerms.objects.filter(programme=programme).first()
    for split in (terms.payer_splits if terms else None) or []:
        for s in split["shares"]:
            if s["payer"] == party.organisation.slug:
                if s["share"] == REST:
                    return HUNDRED
                shares.append(Decimal(str(s["share"])))
    return max(shares, default=HUNDRED)


def payer_most_owed(*, programme: Programme, payer: str) -> MostOwed | None:
    """Return the most `payer` could ever owe over the contract, or None when unknown."""
    party = ProgrammeParty.objects.select_related("organisation").get(
        programme=programme, organisation__slug=payer, role=PartyRole.OUTCOME_PAYER
    )
    bounds = []
    if programme.contract_cap is not None:
        share = _largest_share(programme, party)
        by_share = int(
            (programme.contract_cap * share / HUNDRED).to_integral_value(rounding=ROUND_CEILING)
        )
        bounds.append(MostOwed(by_share, contract_cap=programme.contract_cap, share=share))
    if party.payer_cap is not None:
        bounds.append(MostOwed(party.payer_cap, payer_cap=party.payer_cap))
    most = min(bounds, key=lambda bound: bound.limit, default=None)
    if most is None:
        return None
    redemption = _most_redeemed(programme, payer)
    return replace(most, limit=most.limit + redemption, redemption=redemption)


def _most_redeemed(programme: Programme, payer: str) -> int:
    """Return what the investors committed to the tranches whose redemption `payer` tops
    up: a redemption is at most 100 % of the principal drawn (payments.engine.redemption),
    and no drawdown passes its commitment."""
    committed = Commitment.objects.filter(
        programme=programme, tranche__redemption__payer=payer
    ).aggregate(total=Sum("amount"))["total"]
    return int(committed or 0)
