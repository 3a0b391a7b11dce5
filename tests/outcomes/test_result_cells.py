"""One cell (metric × cohort × period), several results: the rule of outcomes.cells as the
results CSV import, the API and the chain keep it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from outcomes import chain_kinds
from outcomes.models import Result
from sib.chain_verification import chain_verify

pytestmark = pytest.mark.django_db

HEAD = "metric,cohort,period,stage,value\n"
HEAD_REASON = "metric,cohort,period,stage,value,additional_reason\n"


def upload(cast, content: str):
    return cast.client(cast.evaluator).post(
        f"/api/programmes/{cast.programme.pk}/results/import/",
        {"file": SimpleUploadedFile("r.csv", content.encode(), content_type="text/csv")},
        format="multipart",
    )


def rules(response) -> list[tuple[int, str]]:
    assert response.status_code == 400, response.content
    return [(e["line"], e["rule"]) for e in response.json()["errors"]]


def test_a_csv_row_for_a_cell_already_holding_a_result_is_refused_with_its_row(cast):
    assert upload(cast, HEAD + "in-work-6m,c1,2026-h1,interim,12\n").status_code == 201
    # Another stage does not make it another cell: an interim again is a duplicate.
    response = upload(
        cast, HEAD + "in-work-6m,c2,2026-h1,interim,3\nin-work-6m,c1,2026-h1,interim,5\n"
    )
    assert rules(response) == [(3, "duplicate_in_database")]
    assert "additional_reason" in response.json()["errors"][0]["message"]
    assert Result.objects.count() == 1


def test_a_csv_duplicate_cell_within_the_file_is_refused_whatever_the_stage(cast):
    response = upload(
        cast, HEAD + "in-work-6m,c1,2026-h1,final,12\nin-work-6m,c1,2026-h1,final,13\n"
    )
    assert rules(response) == [(3, "duplicate_in_file")]
    response = upload(
        cast, HEAD + "in-work-6m,c1,2026-h1,final,12\nin-work-6m,c1,2026-h1,interim,13\n"
    )
    assert rules(response) == [(3, "interim_after_final")]


def test_a_csv_final_after_interims_and_a_declared_additional_row_load(cast):
    assert upload(cast, HEAD + "in-work-6m,c1,2026-h1,interim,12\n").status_code == 201
    response = upload(
        cast,
        HEAD_REASON
        + "in-work-6m,c2,2026-h1,interim,4,\n"
        + "in-work-6m,c2,2026-h1,interim,2,second site\n"
        + "in-work-6m,c1,2026-h1,final,25,\n",
    )
    assert response.status_code == 201, response.content
    extra = Result.objects.get(cohort__code="c2", value=2)
    assert (extra.additional, extra.additional_reason) == (True, "second site")
    assert not Result.objects.get(cohort__code="c2", value=4).additional


def test_the_api_refuses_a_second_result_and_takes_it_declared_additional(cast):
    client = cast.client(cast.evaluator)
    url = f"/api/programmes/{cast.programme.pk}/results/"
    submit = f"{url}submit/"
    row = {"metric": "in-work-6m", "cohort": "c1", "period": "2026-h1", "stage": "interim"}
    assert client.post(submit, {**row, "value": "12"}, format="json").status_code == 201
    refused = client.post(submit, {**row, "value": "4"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "cell_taken"
    taken = client.post(
        submit,
        {**row, "value": "4", "additional": True, "additional_reason": "second site"},
        format="json",
    )
    assert taken.status_code == 201, taken.content
    assert taken.json()["additional"] is True
    assert taken.json()["additional_reason"] == "second site"


def test_only_an_additional_result_carries_the_new_fields_in_its_chained_form(cast):
    client = cast.client(cast.evaluator)
    url = f"/api/programmes/{cast.programme.pk}/results/"
    submit = f"{url}submit/"
    row = {"metric": "in-work-6m", "cohort": "c1", "period": "2026-h1", "stage": "interim"}
    first = client.post(submit, {**row, "value": "12"}, format="json").json()["id"]
    extra = client.post(
        submit,
        {**row, "value": "4", "additional": True, "additional_reason": "site B"},
        format="json",
    ).json()["id"]
    lead = cast.client(cast.lead)
    for result_id in (first, extra):
        assert lead.post(f"{url}{result_id}/verify/", {}, format="json").status_code == 201

    # A result as every result before migration 0012: the same canonical keys as then.
    plain = chain_kinds._results([first])[first]
    assert set(plain) == {
        "id", "programme_id", "metric__code", "cohort__code", "period__code", "stage", "value",
        "comparison_value", "sample_size", "comparison_sample_size", "amends_id",
        "amendment_reason", "from_participants", "submitted_by_id", "submitted_at",
    }  # fmt: skip
    declared = chain_kinds._results([extra])[extra]
    assert (declared["additional"], declared["additional_reason"]) == (True, "site B")
    assert chain_verify(programme_id=cast.programme.pk).ok


def test_a_participant_file_beside_an_aggregate_count_of_its_cell_is_refused(cast):
    people = (
        "participant_id,metric,cohort,period,date_achieved\nP-1,in-work-6m,c1,2026-h1,2026-03-01\n"
    )
    assert upload(cast, HEAD + "in-work-6m,c1,2026-h1,interim,12\n").status_code == 201
    assert rules(upload(cast, people)) == [(0, "duplicate_in_database")]


def test_participant_files_of_one_cell_go_beside_each_other(cast):
    people = "participant_id,metric,cohort,period,date_achieved\n"
    assert upload(cast, people + "P-1,in-work-6m,c1,2026-h1,2026-03-01\n").status_code == 201
    assert upload(cast, people + "P-2,in-work-6m,c1,2026-h1,2026-04-01\n").status_code == 201
    assert Result.objects.filter(from_participants=True).count() == 2
