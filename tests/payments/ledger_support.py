"""A small deal for ledger tests: an active programme, one payer, one senior commitment."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from payments import services
from payments.models import Commitment, Tranche
from sib.models import Organisation, Programme, User
from tests.cast import make_programme


@dataclass
class Deal:
    programme: Programme
    manager: User
    payer: Organisation
    investor: Organisation
    tranche: Tranche
    commitment: Commitment


def make_deal(prefix: str, *, commitment: int = 1_000_000) -> Deal:
    manager = User.objects.create_user(f"{prefix}-manager", password="pw-123456789")
    programme = make_programme(prefix, manager)
    payer = Organisation.objects.get(slug=f"{prefix}-payer")
    investor = Organisation.objects.get(slug=f"{prefix}-investor")
    tranche = services.tranche_create(
        programme=programme,
        key="senior",
        name="Senior",
        kind="senior_loan",
        priority=1,
        cap_type="annual_rate",
        cap_value=Decimal("0.05"),
    )
    held = services.commitment_create(
        tranche=tranche, investor=investor, amount=commitment, committed_on=date(2026, 1, 1)
    )
    return Deal(programme, manager, payer, investor, tranche, held)
