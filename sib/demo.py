"""The synthetic demo bond "Jardins solidaires, Marseille" (DOMAIN.md), for demos and tests."""

from dataclasses import dataclass

from django.db import transaction

from sib.models import User

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - a published demo login, not a secret


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    label: str


DEMO_USERS = (
    DemoUser("manager", "fund_manager", "Fund manager (intermediary)"),
    DemoUser("evaluator", "evaluator", "Evaluator"),
    DemoUser("lead", "lead_evaluator", "Lead evaluator"),
    DemoUser("funder", "public_funder", "Public funder (the State)"),
    DemoUser("investor", "investor", "Investor (the bank)"),
    DemoUser("admin", "staff", "Staff administrator"),
)


@transaction.atomic
def demo_seed() -> dict[str, int]:
    """Create the demo users (and, as apps add them, the programme); safe to run twice."""
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
    return {"users_created": created}
