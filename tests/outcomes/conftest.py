"""A small bond for outcome tests: two cohorts, two periods, a rate card and a comparison."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from outcomes import services
from sib import services as sib_services
from sib.models import Membership, Organisation, Programme, User


@dataclass
class Cast:
    programme: Programme
    manager: User
    evaluator: User
    lead: User
    lead2: User
    funder: User
    stranger: User

    def client(self, user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client


def make_programme(slug: str, manager: User) -> Programme:
    # Through the services, so that the programme is one that can exist: active, with an
    # outcome payer sharing 100 % (verifying a result books what that payer owes).
    programme = sib_services.programme_create(
        creator=manager,
        name=slug,
        slug=slug,
        currency="EUR",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2030, 12, 31),
        contract_cap=150_000_000,
    )
    payer, _ = Organisation.objects.get_or_create(
        slug=f"{slug}-payer", defaults={"name": f"Payer {slug}", "kinds": ["outcome_payer"]}
    )
    sib_services.programme_party_add(
        programme=programme, organisation=payer, role="outcome_payer", payer_share=Decimal(100)
    )
    programme = sib_services.programme_activate(programme=programme)
    if not Membership.objects.filter(user=manager, programme=programme).exists():
        Membership.objects.create(user=manager, programme=programme, role="fund_manager")
    c1 = services.cohort_create(programme=programme, code="c1", name="Cohort 1", planned_size=100)
    c2 = services.cohort_create(programme=programme, code="c2", name="Cohort 2", planned_size=100)
    services.period_create(
        programme=programme,
        code="2026-h1",
        name="2026 H1",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 6, 30),
    )
    services.period_create(
        programme=programme,
        code="2026-h2",
        name="2026 H2",
        start_date=datetime.date(2026, 7, 1),
        end_date=datetime.date(2026, 12, 31),
    )
    services.metric_create(
        programme=programme,
        code="in-work-6m",
        name="In work at 6 months",
        definition="In paid work six months after leaving the programme.",
        unit="participant_outcome",
        mechanism={"kind": "rate_card", "price": 300_000},
        cohorts=["c1", "c2"],
        periods=["2026-h1", "2026-h2"],
    )
    services.metric_create(
        programme=programme,
        code="employment-rate",
        name="Employment rate vs comparison",
        definition="Share in work at 12 months against a matched group.",
        unit="percentage_improvement",
        mechanism={
            "kind": "comparison",
            "direction": "higher_is_better",
            "cohorts": ["c1", "c2"],
            "cohort_threshold": "0.10",
            "pooled_threshold": "0.075",
            "price_per_point": 10_000,
        },
        cohorts=["c1", "c2"],
        periods=["2026-h1", "2026-h2"],
    )
    assert c1 and c2
    return programme


@pytest.fixture
def cast(db) -> Cast:
    users = {
        name: User.objects.create(username=name)
        for name in ("manager", "evaluator", "lead", "lead2", "funder", "stranger")
    }
    programme = make_programme("jardins", users["manager"])
    for name, role in (
        ("evaluator", "evaluator"),
        ("lead", "lead_evaluator"),
        ("lead2", "lead_evaluator"),
        ("funder", "public_funder"),
    ):
        Membership.objects.create(user=users[name], programme=programme, role=role)
    return Cast(programme=programme, **users)


@pytest.fixture
def unplanned_cohorts(cast: Cast) -> Cast:
    """The cast's cohorts without a planned size, so that no count is implausible.

    For tests of reading big synthetic files: thousands of records in a cohort planned
    at 100 are refused otherwise (outcomes.plausibility).
    """
    from outcomes.models import Cohort

    Cohort.objects.filter(programme=cast.programme).update(planned_size=None)
    return cast
