"""A fixed cast for permission tests: one user per role on programme A, nobody's on B."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sib import services
from sib.models import Organisation, Programme, User

ROLES = ("fund_manager", "evaluator", "lead_evaluator", "public_funder", "investor")


@dataclass
class Cast:
    own: Programme
    foreign: Programme
    users: dict[str, User] = field(default_factory=dict)  # role -> user (roles on `own` only)
    stranger: User | None = None
    staff: User | None = None
    investor_org: Organisation | None = None
    payer_org: Organisation | None = None


def make_programme(slug: str, creator: User, *, activate: bool = True) -> Programme:
    programme = services.programme_create(
        creator=creator,
        name=f"Programme {slug}",
        slug=slug,
        currency="EUR",
        start_date=date(2026, 1, 1),
        end_date=date(2030, 12, 31),
        contract_cap=150_000_000,
    )
    payer, _ = Organisation.objects.get_or_create(
        slug=f"{slug}-payer", defaults={"name": f"Payer {slug}", "kinds": ["outcome_payer"]}
    )
    investor, _ = Organisation.objects.get_or_create(
        slug=f"{slug}-investor", defaults={"name": f"Investor {slug}", "kinds": ["investor"]}
    )
    services.programme_party_add(
        programme=programme, organisation=payer, role="outcome_payer", payer_share=Decimal(100)
    )
    services.programme_party_add(programme=programme, organisation=investor, role="investor")
    if activate:
        programme = services.programme_activate(programme=programme)
    return programme


def make_cast(prefix: str = "cast") -> Cast:
    manager = User.objects.create_user(f"{prefix}-fund_manager", password="pw-123456789")
    foreign_manager = User.objects.create_user(f"{prefix}-foreign-manager", password="pw-123456789")
    own = make_programme(f"{prefix}-own", manager)
    foreign = make_programme(f"{prefix}-foreign", foreign_manager)
    cast = Cast(own=own, foreign=foreign)
    cast.users["fund_manager"] = manager
    cast.investor_org = Organisation.objects.get(slug=f"{prefix}-own-investor")
    cast.payer_org = Organisation.objects.get(slug=f"{prefix}-own-payer")
    for role in ROLES[1:]:
        user = User.objects.create_user(f"{prefix}-{role}", password="pw-123456789")
        organisation = {"investor": cast.investor_org, "public_funder": cast.payer_org}.get(role)
        services.membership_add(programme=own, user=user, role=role, organisation=organisation)
        cast.users[role] = user
    cast.stranger = User.objects.create_user(f"{prefix}-stranger", password="pw-123456789")
    cast.staff = User.objects.create_user(f"{prefix}-staff", password="pw-123456789", is_staff=True)
    return cast
