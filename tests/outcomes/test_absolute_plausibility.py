"""A result an absolute mechanism cannot price is refused when submitted, naming the field:
a fraction of a count, no comparison group for a difference, no participants measured
for a rate, or more achieving than measured. Refused at the door, not when verifying it
books what the payers owe."""

import pytest

from outcomes import services
from outcomes.models import Result

pytestmark = pytest.mark.django_db


@pytest.fixture
def absolute(cast):  # type: ignore[no-untyped-def]
    common = {"unit": "participant_outcome", "cohorts": ["c1"], "periods": ["2026-h1"]}
    services.metric_create(
        programme=cast.programme,
        code="reconvictions",
        name="Reconvictions",
        definition="Reconvictions within a year, cohort against its matched group.",
        direction="lower_is_better",
        mechanism={
            "kind": "absolute_difference",
            "direction": "lower_is_better",
            "price_per_unit": 150_000,
        },
        **common,
    )
    services.metric_create(
        programme=cast.programme,
        code="restoration",
        name="Restoration rate",
        definition="Children returned to their family among those placed.",
        mechanism={
            "kind": "banded_rate",
            "basis": "per_cohort",
            "bands": [{"min_rate": "0.60", "max_rate": None, "amount": 3_000_000}],
        },
        **common,
    )
    return cast


def _submit(cast, **values):  # type: ignore[no-untyped-def]
    body = {"cohort": "c1", "period": "2026-h1", "stage": "final"}
    body.update(values)
    return cast.client(cast.evaluator).post(
        f"/api/programmes/{cast.programme.pk}/results/submit/",
        body,
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def _errors(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.content[:500]
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_a_difference_of_whole_counts_is_taken(absolute):
    response = _submit(absolute, metric="reconvictions", value="120", comparison_value="150")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"value": "120"}, "comparison_value", "give the comparison group's count"),
        ({"value": "120", "comparison_value": "150.5"}, "comparison_value", "not a whole number"),
        ({"value": "120.5", "comparison_value": "150"}, "value", "not a whole number"),
    ],
)
def test_a_difference_the_engine_cannot_count_is_refused(absolute, values, field, message):
    errors = _errors(_submit(absolute, metric="reconvictions", **values))
    assert message in errors[field]
    assert not Result.objects.exists()


def test_a_rate_of_whole_counts_is_taken(absolute):
    response = _submit(absolute, metric="restoration", value="71", sample_size=100)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"value": "71"}, "sample_size", "give the participants measured"),
        ({"value": "0", "sample_size": 0}, "sample_size", "at least 1"),
        ({"value": "70.5", "sample_size": 100}, "value", "not a whole number"),
        ({"value": "101", "sample_size": 100}, "value", "a rate is at most 100 %."),
    ],
)
def test_a_rate_the_engine_cannot_measure_is_refused(absolute, values, field, message):
    errors = _errors(_submit(absolute, metric="restoration", **values))
    assert message in errors[field]
    assert not Result.objects.exists()


def test_the_refusal_reads_in_french(absolute):
    response = absolute.client(absolute.evaluator).post(
        f"/api/programmes/{absolute.programme.pk}/results/submit/",
        {"metric": "restoration", "cohort": "c1", "period": "2026-h1", "stage": "final"}
        | {"value": "101", "sample_size": 100},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert _errors(response)["value"] == (
        "101 participants atteignant le résultat, c’est plus que les 100 mesurés : "
        "un taux est d’au plus 100 %."
    )
