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
  has no cap of its own: then nothing bounds an advance.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from payments.models import PaymentTerms
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
    return min(bounds, key=lambda bound: bound.limit, default=None)
