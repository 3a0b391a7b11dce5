"""A small bond with verified results and money movements, for report tests.

Modelled on the DOMAIN.md demo (Jardins solidaires): two payers 70/30, three investors in
two tranches and a guarantor, a rate-card metric and a comparison metric, two cohorts.
One cohort's verified count (7) is below the masking threshold.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from outcomes import services as outcomes
from outcomes.models import Cohort, MeasurementPeriod, Metric, Result
from payments import services as payments
from sib import services as sib
from sib.models import Organisation, Programme, User

D = datetime.date
SMALL_COUNT = 7
INVESTOR_NAMES = ("Banque solidaire", "Fondation Terre et Emploi", "Fonds Impact Sud")
GUARANTOR_NAME = "Fondation Garantie Solidaire"


@dataclass
class Bond:
    programme: Programme
    manager: User
    evaluator: User
    lead: User
    funder: User
    investor: User
    stranger: User
    orgs: dict[str, Organisation] = field(default_factory=dict)

    def client(self, user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    def verify(self, metric: str, cohort: str, period: str, value: str, **extra: object) -> Result:
        """Submit a result as the evaluator and have the lead verify it."""
        result = outcomes.result_submit(
            programme=self.programme,
            user=self.evaluator,
            metric=Metric.objects.get(programme=self.programme, code=metric),
            cohort=Cohort.objects.get(programme=self.programme, code=cohort),
            period=MeasurementPeriod.objects.get(programme=self.programme, code=period),
            stage="interim",
            values=outcomes.ResultValues(value=Decimal(value), **extra),  # type: ignore[arg-type]
        )
        outcomes.result_verify(result=result, user=self.lead)
        return result


def _org(slug: str, name: str, kind: str) -> Organisation:
    return Organisation.objects.create(slug=slug, name=name, kinds=[kind])


def make_bond(slug: str = "jardins", name: str = "Jardins solidaires, Marseille") -> Bond:
    users = {
        # No password: hashing one costs seconds here, and the API tests force the login.
        role: User.objects.create_user(f"{slug}-{role}")
        for role in ("manager", "evaluator", "lead", "funder", "investor", "stranger")
    }
    users["lead"].first_name, users["lead"].last_name = "Léa", "Martin"
    users["lead"].save()
    programme = sib.programme_create(
        creator=users["manager"],
        name=name,
        slug=slug,
        currency="EUR",
        start_date=D(2026, 1, 1),
        end_date=D(2030, 12, 31),
        contract_cap=150_000_000,
    )
    orgs = {
        "etat": _org(f"{slug}-etat", "État (ministère du Travail)", "outcome_payer"),
        "dept": _org(f"{slug}-dept", "Département des Bouches-du-Rhône", "outcome_payer"),
        "bank": _org(f"{slug}-bank", INVESTOR_NAMES[0], "investor"),
        "foundation": _org(f"{slug}-foundation", INVESTOR_NAMES[1], "investor"),
        "fund": _org(f"{slug}-fund", INVESTOR_NAMES[2], "investor"),
        "guarantor": _org(f"{slug}-guarantor", GUARANTOR_NAME, "investor"),
        "provider": _org(f"{slug}-asso", "Association Jardins solidaires", "service_provider"),
        "evaluator": _org(f"{slug}-evalua", "Évalua", "evaluator"),
        "intermediary": _org(f"{slug}-impact", "Impact Partenaires", "intermediary"),
    }
    sib.programme_party_add(
        programme=programme, organisation=orgs["etat"], role="outcome_payer", payer_share=70
    )
    sib.programme_party_add(
        programme=programme, organisation=orgs["dept"], role="outcome_payer", payer_share=30
    )
    for key, role in (
        ("provider", "service_provider"),
        ("evaluator", "evaluator"),
        ("intermediary", "intermediary"),
    ):
        sib.programme_party_add(programme=programme, organisation=orgs[key], role=role)
    for key in ("bank", "foundation", "fund", "guarantor"):
        sib.programme_party_add(programme=programme, organisation=orgs[key], role="investor")
    programme = sib.programme_activate(programme=programme)
    for role, user, org in (
        ("evaluator", users["evaluator"], None),
        ("lead_evaluator", users["lead"], None),
        ("public_funder", users["funder"], orgs["etat"]),
        ("investor", users["investor"], orgs["bank"]),
    ):
        sib.membership_add(programme=programme, user=user, role=role, organisation=org)

    # Capital: senior (bank, foundation), junior (fund), a guarantee of the senior tranche.
    senior = payments.tranche_create(
        programme=programme, key="senior", name="Senior", kind="senior_loan", priority=1,
        cap_type="annual_rate", cap_value=Decimal("0.05"),
    )  # fmt: skip
    junior = payments.tranche_create(
        programme=programme, key="junior", name="Junior", kind="subordinated_loan", priority=2,
        cap_type="annual_rate", cap_value=Decimal("0.08"),
    )  # fmt: skip
    guarantee = payments.tranche_create(
        programme=programme, key="guarantee", name="Guarantee", kind="guarantee", priority=3,
        protects=senior, cover_limit=15_000_000,
    )  # fmt: skip
    bank = payments.commitment_create(
        tranche=senior, investor=orgs["bank"], amount=60_000_000, committed_on=D(2026, 1, 1)
    )
    foundation = payments.commitment_create(
        tranche=senior, investor=orgs["foundation"], amount=30_000_000, committed_on=D(2026, 1, 1)
    )
    fund = payments.commitment_create(
        tranche=junior, investor=orgs["fund"], amount=20_000_000, committed_on=D(2026, 1, 1)
    )
    payments.commitment_create(
        tranche=guarantee, investor=orgs["guarantor"], amount=15_000_000, committed_on=D(2026, 1, 1)
    )
    manager = users["manager"]
    for commitment, amount, on in (
        (bank, 30_000_000, D(2026, 1, 15)),
        (foundation, 15_000_000, D(2026, 1, 15)),
        (fund, 10_000_000, D(2026, 2, 1)),
        (bank, 12_345_67, D(2026, 6, 1)),
    ):
        payments.drawdown_record(commitment=commitment, called_on=on, amount=amount, actor=manager)

    # Outcomes.
    for code, planned in (("c1", 100), ("c2", 100)):
        outcomes.cohort_create(
            programme=programme, code=code, name=f"Cohorte {code[-1]}", planned_size=planned
        )
    outcomes.period_create(
        programme=programme, code="2026-h1", name="2026 S1",
        start_date=D(2026, 1, 1), end_date=D(2026, 6, 30),
    )  # fmt: skip
    outcomes.period_create(
        programme=programme, code="2026-h2", name="2026 S2",
        start_date=D(2026, 7, 1), end_date=D(2026, 12, 31),
    )  # fmt: skip
    outcomes.metric_create(
        programme=programme,
        code="in-work-6m",
        name="En emploi à 6 mois",
        definition="En emploi salarié six mois après la sortie du programme.",
        unit="participant_outcome",
        mechanism={"kind": "rate_card", "price": 300_000},
        target_value=Decimal(50),
        cohorts=["c1", "c2"],
        periods=["2026-h1", "2026-h2"],
    )
    outcomes.metric_create(
        programme=programme,
        code="employment-rate",
        name="Taux d’emploi comparé",
        definition="Part en emploi à 12 mois, comparée à un groupe apparié.",
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
    bond = Bond(programme=programme, orgs=orgs, **users)
    bond.verify("in-work-6m", "c1", "2026-h1", "42")
    bond.verify("in-work-6m", "c2", "2026-h1", str(SMALL_COUNT))
    bond.verify(
        "employment-rate", "c1", "2026-h2", "0.45",
        comparison_value=Decimal("0.30"), sample_size=100, comparison_sample_size=120,
    )  # fmt: skip

    # Outcome payments received: 70/30 of the first claims, then a reversed duplicate.
    for payer, amount, on in (
        ("etat", 8_820_000, D(2026, 7, 15)),
        ("dept", 3_780_000, D(2026, 7, 20)),
        ("etat", 1_470_000, D(2026, 10, 1)),
    ):
        payments.payment_received_record(
            advance=True,  # cash received before any due: the test is not about dues
            programme=programme,
            payer=orgs[payer],
            amount=amount,
            received_on=on,
            actor=manager,
        )
    duplicate = payments.payment_received_record(
        advance=True,  # cash received before any due: the test is not about dues
        programme=programme, payer=orgs["dept"], amount=630_000, received_on=D(2026, 10, 2),
        actor=manager,
    )  # fmt: skip
    payments.ledger_transaction_reverse(original=duplicate, reason="Recorded twice", actor=manager)
    programme.refresh_from_db()
    return bond


@pytest.fixture
def bond(db) -> Bond:
    return make_bond()
