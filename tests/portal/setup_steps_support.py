"""What the guided programme setup's tests share: the organisations, each step's rows as
a person fills them in, and the same deal written as an uploaded definition."""

from typing import Any

from django.test import Client

from sib.models import Organisation

ORGANISATIONS = [
    ("etat", "État", "outcome_payer"),
    ("departement", "Département des Bouches-du-Rhône", "outcome_payer"),
    ("banque", "Banque solidaire", "investor"),
    ("impact", "Impact Partenaires", "intermediary"),
    ("evalua", "Évalua", "evaluator"),
    ("asso", "Jardins Asso", "service_provider"),
]


def organisations() -> None:
    for slug, name, kind in ORGANISATIONS:
        Organisation.objects.create(slug=slug, name=name, kinds=[kind])


def formset(prefix: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the POST data of a formset whose rows are `rows` (none shown before)."""
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


PROGRAMME = {
    "name": "Jardins solidaires",
    "slug": "jardins",
    "currency": "EUR",
    "start_date": "2026-01-01",
    "end_date": "2030-12-31",
    "contract_cap": "1500000",
    "description": "Le maraîchage urbain comme passerelle vers l’emploi.",
}
PAYERS = [
    {"organisation": "etat", "payer_share": "60"},
    {"organisation": "departement", "payer_share": "40"},
]
ROLES = {"intermediary": "impact", "evaluator": "evalua", "service_provider": "asso"}
COHORTS = [{"code": "2026", "name": "Cohorte 2026", "planned_size": "100", "start_date": ""}]
PERIODS = [
    {"code": "2026", "name": "2026", "start_date": "2026-01-01", "end_date": "2026-12-31"},
    {"code": "2027", "name": "2027", "start_date": "2027-01-01", "end_date": "2027-12-31"},
]
METRICS = [
    {
        "code": "in-work",
        "name": "In work for 6 months",
        "definition": "26 weeks of paid work.",
        "price": "3000",
        "max_count": "300",
        "cohorts": ["2026"],
        "periods": ["2026", "2027"],
    }
]
TRANCHES = [
    {
        "key": "senior",
        "name": "Prêts seniors",
        "kind": "senior_loan",
        "priority": "1",
        "cap_type": "annual_rate",
        "cap_value": "0.05",
    }
]
COMMITMENTS = [
    {"tranche": "senior", "investor": "banque", "amount": "600000", "committed_on": "2026-01-01"}
]
WATERFALL = [
    {"kind": "principal", "tranche": "senior", "ORDER": "1"},
    {"kind": "return", "tranche": "senior", "ORDER": "2"},
    {"kind": "residual_to_payer", "ORDER": "3"},
]

STEP_DATA: dict[str, dict[str, Any]] = {
    "programme": PROGRAMME,
    "parties": {**formset("payers", PAYERS), **ROLES, "investors": ["banque"]},
    "cohorts": formset("cohorts", COHORTS),
    "periods": formset("periods", PERIODS),
    "metrics": formset("metrics", METRICS),
    "tranches": {**formset("tranches", TRANCHES), **formset("commitments", COMMITMENTS)},
    "waterfall": {**formset("steps", WATERFALL), "example": ""},
}
STEPS = list(STEP_DATA)


def url(step: str) -> str:
    return f"/programmes/new/steps/{step}/"


def walk(client: Client, until: str | None = None) -> None:
    """Post every step's rows, up to (not including) `until`."""
    for step in STEPS:
        if step == until:
            return
        response = client.post(url(step), {**STEP_DATA[step], "action": "next"})
        assert response.status_code == 302, (step, response.context and response.context["left"])


# The same deal as an uploaded definition would write it.
UPLOADED: dict[str, Any] = {
    "format": "sib-programme",
    "version": 1,
    "programme": {
        "name": "Jardins solidaires",
        "slug": "jardins",
        "currency": "EUR",
        "start_date": "2026-01-01",
        "end_date": "2030-12-31",
        "contract_cap": 150000000,
        "description": "Le maraîchage urbain comme passerelle vers l’emploi.",
    },
    "parties": [
        {"organisation": "etat", "role": "outcome_payer", "payer_share": "60"},
        {"organisation": "departement", "role": "outcome_payer", "payer_share": "40"},
        {"organisation": "impact", "role": "intermediary"},
        {"organisation": "asso", "role": "service_provider"},
        {"organisation": "evalua", "role": "evaluator"},
        {"organisation": "banque", "role": "investor"},
    ],
    "cohorts": [{"code": "2026", "name": "Cohorte 2026", "planned_size": 100}],
    "periods": [
        {"code": "2026", "name": "2026", "start_date": "2026-01-01", "end_date": "2026-12-31"},
        {"code": "2027", "name": "2027", "start_date": "2027-01-01", "end_date": "2027-12-31"},
    ],
    "metrics": [
        {
            "code": "in-work",
            "name": "In work for 6 months",
            "definition": "26 weeks of paid work.",
            "unit": "participant_outcome",
            "mechanism": {"kind": "rate_card", "price": 300000},
            "max_count": 300,
            "cohorts": ["2026"],
            "periods": ["2026", "2027"],
        }
    ],
    "tranches": [
        {
            "key": "senior",
            "name": "Prêts seniors",
            "kind": "senior_loan",
            "priority": 1,
            "cap": {"type": "annual_rate", "value": "0.05"},
            "commitments": [
                {"investor": "banque", "amount": 60000000, "committed_on": "2026-01-01"}
            ],
        }
    ],
    "waterfall": [
        {"kind": "principal", "tranche": "senior"},
        {"kind": "return", "tranche": "senior"},
        {"kind": "residual_to_payer"},
    ],
}
