"""The cohorts, periods and metrics sections of the programme definition JSON."""

import pytest
from django.utils import translation

from sib.models import User
from sib.programme_format import (
    DefinitionError,
    programme_definition_dump,
    programme_definition_load,
)

pytestmark = pytest.mark.django_db

DOCUMENT = {
    "format": "sib-programme",
    "version": 1,
    "programme": {
        "name": "Jardins solidaires",
        "slug": "jardins-def",
        "currency": "EUR",
        "start_date": "2026-01-01",
        "end_date": "2030-12-31",
        "contract_cap": 150000000,
    },
    "cohorts": [{"code": "c1", "name": "Cohort 1", "planned_size": 100, "start_date": None}],
    "periods": [
        {"code": "2026-h1", "name": "2026 H1", "start_date": "2026-01-01", "end_date": "2026-06-30"}
    ],
    "metrics": [
        {
            "code": "training",
            "name": "Enters accredited training",
            "definition": "Starts a course leading to a recognised qualification.",
            "unit": "participant_outcome",
            "direction": "higher_is_better",
            "evidence_required": "Enrolment certificate.",
            "target_value": "60",
            "mechanism": {"kind": "rate_card", "price": 80000},
            "max_count": 300,
            "max_amount": None,
            "cohorts": ["c1"],
            "periods": ["2026-h1"],
        }
    ],
}


def test_metrics_round_trip_through_the_programme_definition():
    creator = User.objects.create(username="def-manager", is_staff=True)
    programme = programme_definition_load(DOCUMENT, creator=creator)
    dumped = programme_definition_dump(programme)
    for section in ("cohorts", "periods", "metrics"):
        assert dumped[section] == DOCUMENT[section]


def test_metric_errors_name_their_json_path():
    # The schema's (unit, amount) and the section's (cohorts) in one listing.
    bad = [
        {
            **DOCUMENT["metrics"][0],
            "unit": "euros",
            "mechanism": {
                "kind": "comparison",
                "direction": "lower_is_better",
                "cohorts": ["c1", "c7"],
                "cohort_threshold": "0.1",
                "tiers": [{"min_improvement": "0.1", "amount": -5}],
            },
            "max_count": 3,
            "cohorts": ["c1", "c9"],
        }
    ]
    creator = User.objects.create(username="m1", is_staff=True)
    with translation.override("en"), pytest.raises(DefinitionError) as caught:
        programme_definition_load({**DOCUMENT, "metrics": bad}, creator=creator)
    errors = dict(caught.value.errors)
    assert errors["metrics[0].unit"].startswith("must be one of participant_outcome")
    assert errors["metrics[0].cohorts[1]"] == "unknown cohort 'c9'"
    assert errors["metrics[0].mechanism.tiers[0].amount"] == "Must be at least 0."


def test_loading_refuses_a_bad_mechanism_with_its_path():
    document = {**DOCUMENT, "metrics": [{**DOCUMENT["metrics"][0], "mechanism": {"kind": "x"}}]}
    creator = User.objects.create(username="m2", is_staff=True)
    # English, as programme_load answers; the schema's messages follow the active language.
    with translation.override("en"), pytest.raises(DefinitionError) as caught:
        programme_definition_load(document, creator=creator)
    assert (
        "metrics[0].mechanism.kind",
        "must be one of absolute_difference, banded_rate, comparison, rate_card, savings_share, "
        "target, tracked, undisclosed",
    ) in caught.value.errors
