"""A result an absolute mechanism cannot price is refused when submitted, naming the field:
a fraction of a count, no comparison group for a difference, no participants measured
for a rate, or more achieving than measured. Refused at the door, not when verifying it
books what the payers owe."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

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
        "101 participants atteignant le résultat, c’est plus que les 100 mesurés\u00a0: "
        "un taux est d’au plus 100\u00a0%."
    )


# --- The same rules over a results file (outcomes.csv_checks) ---------------------------

CSV_HEADER = "metric,cohort,period,stage,value,comparison_value,sample_size\n"


def _import(cast, rows: str):  # type: ignore[no-untyped-def]
    return cast.client(cast.evaluator).post(
        f"/api/programmes/{cast.programme.pk}/results/import/",
        {"file": SimpleUploadedFile("results.csv", (CSV_HEADER + rows).encode(), "text/csv")},
        format="multipart",
    )


def test_a_file_of_whole_counts_loads(absolute):
    rows = "reconvictions,c1,2026-h1,final,120,150,\nrestoration,c1,2026-h1,final,71,,100\n"
    assert _import(absolute, rows).status_code == 201
    assert Result.objects.count() == 2


def test_a_file_with_counts_the_mechanisms_cannot_price_is_refused_row_by_row(absolute):
    rows = (
        "reconvictions,c1,2026-h1,final,120,,\n"  # line 2: no comparison group
        "reconvictions,c1,2026-h1,final,120,150.5,\n"  # line 3: a fraction of a count
        "restoration,c1,2026-h1,final,71,,\n"  # line 4: no participants measured
        "restoration,c1,2026-h1,final,71,,0\n"  # line 5: nobody measured
        "restoration,c1,2026-h1,final,101,,100\n"  # line 6: more than measured
    )
    response = _import(absolute, rows)
    assert response.status_code == 400, response.content
    found = {(e["line"], e["column"], e["rule"]) for e in response.json()["errors"]}
    assert found >= {
        (2, "comparison_value", "required"),
        (3, "comparison_value", "not_a_count"),
        (4, "sample_size", "required"),
        (5, "sample_size", "required"),
        (6, "value", "out_of_bounds"),
    }
    messages = {e["line"]: e["message"] for e in response.json()["errors"]}
    assert messages[6] == (
        "101 participants achieving is more than the 100 measured: a rate is at most 100 %"
    )
    assert not Result.objects.exists()
