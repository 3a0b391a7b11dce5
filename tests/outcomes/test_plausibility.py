"""Submissions that cannot be right are refused with a clear rule (issue 17, part 2)."""

import pytest

from outcomes.models import Result

pytestmark = pytest.mark.django_db


def _submit(cast, **values):  # type: ignore[no-untyped-def]
    body = {"metric": "in-work-6m", "cohort": "c1", "period": "2026-h1", "stage": "interim"}
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


def test_a_fractional_count_on_a_per_participant_metric_is_refused(cast):
    errors = _errors(_submit(cast, value="2.5"))
    assert "not a whole number" in errors["value"]
    assert not Result.objects.exists()


def test_a_fractional_value_on_a_rate_metric_is_taken(cast):
    response = _submit(cast, metric="employment-rate", value="12.5", comparison_value="10")
    assert response.status_code == 201, response.content


def test_a_count_above_the_planned_size_times_the_factor_is_refused(cast):
    # Cohort c1 is planned at 100: up to 150 is plausible.
    assert _submit(cast, value="150").status_code == 201
    errors = _errors(_submit(cast, value="151", period="2026-h2"))
    assert "1.5 times the 100 participants planned" in errors["value"]


def test_a_count_above_the_planned_size_is_taken_when_declared_with_a_reason(cast):
    response = _submit(
        cast, value="151", over_planned_size=True, note="A second intake joined in March."
    )
    assert response.status_code == 201, response.content


def test_a_declaration_without_a_reason_in_the_note_is_refused(cast):
    errors = _errors(_submit(cast, value="151", over_planned_size=True))
    assert "note" in errors


def test_a_sample_size_above_the_planned_size_is_refused(cast):
    errors = _errors(
        _submit(
            cast, metric="employment-rate", value="12.5", comparison_value="10", sample_size=1000
        )
    )
    assert "sample_size" in errors


@pytest.mark.parametrize(
    ("field", "size"), [("sample_size", 2**70), ("comparison_sample_size", 1_455_865_852_760)]
)
def test_sample_sizes_beyond_their_int4_column_are_a_400_not_a_500(cast, field, size):
    errors = _errors(_submit(cast, metric="employment-rate", value="12.5", **{field: size}))
    assert set(errors) == {field}
    assert errors[field].startswith("Too large: at most")


def test_a_note_of_a_megabyte_is_refused(cast):
    errors = _errors(_submit(cast, value="3", note="x" * 1_000_000))
    assert set(errors) == {"note"}


def test_a_value_written_1e20_says_what_is_wrong(cast):
    errors = _errors(_submit(cast, metric="employment-rate", value="1e20"))
    assert "digits" in errors["value"]


def test_an_unknown_state_filter_is_a_400_not_an_empty_list(cast):
    response = cast.client(cast.evaluator).get(
        f"/api/programmes/{cast.programme.pk}/results/?state=bogus", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert set(_errors(response)) == {"state"}


def test_a_known_state_filter_still_filters(cast):
    _submit(cast, value="3")
    response = cast.client(cast.evaluator).get(
        f"/api/programmes/{cast.programme.pk}/results/?state=verified"
    )
    assert response.status_code == 200
    assert response.json()["results"] == []


# --- the CSV import --------------------------------------------------------------------------

AGGREGATE = "metric,cohort,period,stage,value,sample_size\n"


def _import(cast, content: str, **fields):  # type: ignore[no-untyped-def]
    from tests.outcomes.test_csv_import import upload

    return upload(cast, content, **fields)


def _rules(response) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.content[:500]
    return [(e["line"], e["column"], e["rule"]) for e in response.json()["errors"]]


def test_an_aggregate_file_with_a_fractional_count_is_refused(cast):
    response = _import(cast, AGGREGATE + "in-work-6m,c1,2026-h1,final,2.5,\n")
    assert _rules(response) == [(2, "value", "not_a_count")]


def test_an_aggregate_file_with_an_implausible_count_is_refused_unless_declared(cast):
    content = (
        AGGREGATE + "in-work-6m,c1,2026-h1,final,151,\nemployment-rate,c1,2026-h1,final,3,999\n"
    )
    assert _rules(_import(cast, content)) == [
        (2, "value", "implausible_count"),
        (3, "sample_size", "implausible_count"),
    ]
    assert _import(cast, content, over_planned_size=True).status_code == 201


def test_a_participant_file_far_larger_than_its_cohort_is_refused_unless_declared(cast):
    from tests.outcomes.test_csv_import import HEADER

    rows = "".join(f"P-{i:04d},in-work-6m,c1,2026-h1,2026-03-01\n" for i in range(151))
    response = _import(cast, HEADER + rows)
    [error] = response.json()["errors"]
    assert (error["column"], error["rule"]) == ("cohort", "implausible_count")
    assert "151 participant records" in error["message"]
    assert not Result.objects.exists()
    assert _import(cast, HEADER + rows, over_planned_size=True).status_code == 201


# --- the service itself (programme_load's history, the portal) -------------------------------


def _service_submit(cast, metric: str, value: str, comparison: str | None = None):  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from outcomes import services
    from outcomes.models import Cohort, MeasurementPeriod, Metric

    return services.result_submit(
        programme=cast.programme,
        user=cast.evaluator,
        metric=Metric.objects.get(programme=cast.programme, code=metric),
        cohort=Cohort.objects.get(programme=cast.programme, code="c1"),
        period=MeasurementPeriod.objects.get(programme=cast.programme, code="2026-h1"),
        stage="interim",
        values=services.ResultValues(
            value=Decimal(value),
            comparison_value=None if comparison is None else Decimal(comparison),
        ),
    )


def _service_errors(cast, *args: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as error:
        _service_submit(cast, *args)
    assert not Result.objects.exists()
    return error.value.message_dict


def test_the_service_refuses_a_value_finer_than_stored_rather_than_round_it(cast):
    # numeric(20, 6): 12.1234567 would be kept as 12.123457 without a word.
    errors = _service_errors(cast, "employment-rate", "12.1234567", "10.00000001")
    assert "more than 6 decimal places" in errors["value"][0]
    assert "more than 6 decimal places" in errors["comparison_value"][0]


def test_the_service_refuses_a_negative_value_with_the_rule_not_an_integrity_error(cast):
    errors = _service_errors(cast, "employment-rate", "-1", "-2")
    assert "negative" in errors["value"][0]
    assert "negative" in errors["comparison_value"][0]


def test_the_service_refuses_a_fractional_count_naming_the_metric(cast):
    errors = _service_errors(cast, "in-work-6m", "62.5")
    assert errors["value"] == [
        "Metric 'in-work-6m' counts participants: 62.5 is not a whole number."
    ]


def test_a_value_at_the_stored_precision_is_kept_exactly(cast):
    result = _service_submit(cast, "employment-rate", "12.123456", "10")
    result.refresh_from_db()
    assert str(result.value) == "12.123456"
