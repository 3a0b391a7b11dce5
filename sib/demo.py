"""The synthetic demo bond "Jardins solidaires, Marseille" (DOMAIN.md), for demos and tests."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from sib import services
from sib.models import Membership, Organisation, Programme, User
from sib.programme_format import programme_definition_load

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - a published demo login, not a secret
DEMO_DEFINITION = Path(__file__).parent / "demo_data" / "jardins-solidaires.json"
DEMO_SLUG = "jardins-solidaires"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    label: str
    organisation: str | None = None


DEMO_USERS = (
    DemoUser("manager", "fund_manager", "Fund manager (intermediary)"),
    DemoUser("evaluator", "evaluator", "Evaluator"),
    DemoUser("lead", "lead_evaluator", "Lead evaluator"),
    DemoUser("funder", "public_funder", "Public funder (the State)", "etat"),
    DemoUser("investor", "investor", "Investor (the bank)", "banque-solidaire"),
    DemoUser("admin", "staff", "Staff administrator"),
)


def demo_definition() -> dict:
    return json.loads(DEMO_DEFINITION.read_text(encoding="utf-8"))


@transaction.atomic
def demo_seed() -> dict[str, int]:
    """Create the demo users and the demo programme with their roles; safe to run twice."""
    users: dict[str, User] = {}
    created = 0
    for demo in DEMO_USERS:
        user, was_created = User.objects.get_or_create(
            username=demo.username,
            defaults={"is_staff": demo.role == "staff", "is_superuser": demo.role == "staff"},
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created += 1
        users[demo.username] = user

    programme = Programme.objects.filter(slug=DEMO_SLUG).first()
    programmes_created = 0
    if programme is None:
        programme = programme_definition_load(demo_definition(), creator=users["manager"])
        programmes_created = 1
    for demo in DEMO_USERS:
        if demo.role == "staff":
            continue
        organisation = (
            Organisation.objects.get(slug=demo.organisation) if demo.organisation else None
        )
        if not Membership.objects.filter(
            user=users[demo.username], programme=programme, role=demo.role
        ).exists():
            # Granted by the seed itself (actor None), chained like any grant.
            services.membership_add(
                programme=programme,
                user=users[demo.username],
                role=demo.role,
                organisation=organisation,
            )
    return {"users_created": created, "programmes_created": programmes_created}
