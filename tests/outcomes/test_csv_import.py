"""CSV import: every bad file is refused whole with row/column messages; good files load."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from outcomes.csv_reading import MAX_REPORTED, identifier_reason
from outcomes.models import ImportBatch, ParticipantRecord, Result
from outcomes.pseudonyms import pseudonym

pytestmark = pytest.mark.django_db

HEADER = "participant_id,metric,cohort,period,date_achieved\n"
GOOD = "P-001,in-work-6m,c1,2026-h1,2026-03-01\n"


def upload(cast, content: bytes | str, user=None, **fields):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return cast.client(user or cast.evaluator).post(
        f"/api/programmes/{cast.programme.pk}/results/import/",
        {"file": SimpleUploadedFile("results.csv", data, content_type="text/csv"), **fields},
        format="multipart",
    )


BAD_FILES = {
    "wrong_encoding": (
        (HEADER + "P-é,in-work-6m,c1,2026-h1,2026-03-01\n").encode("latin-1"),
        (2, "", "encoding"),
    ),
    "missing_column": (
        "participant_id,metric,cohort,period\nP-1,in-work-6m,c1,2026-h1\n",
        (1, "date_achieved", "missing_column"),
    ),
    "identifier_column": (
        "participant_id,nom,metric,cohort,period,date_achieved\n"
        "P-1,Dupont,in-work-6m,c1,2026-h1,2026-03-01\n",
        (1, "nom", "identifier_column"),
    ),
    "email_column": (
        "participant_id,E-mail,metric,cohort,period,date_achieved\n"
        "P-1,a@b.fr,in-work-6m,c1,2026-h1,2026-03-01\n",
        (1, "e-mail", "identifier_column"),
    ),
    "birth_date_column": (
        "participant_id,metric,cohort,period,date_achieved,Date de naissance\n"
        "P-1,in-work-6m,c1,2026-h1,2026-03-01,1990-01-01\n",
        (1, "date de naissance", "identifier_column"),
    ),
    "nir_column": (
        "participant_id,NIR,metric,cohort,period,date_achieved\n"
        "P-1,1900175,in-work-6m,c1,2026-h1,2026-03-01\n",
        (1, "nir", "identifier_column"),
    ),
    "bad_date": (
        HEADER + GOOD + "P-2,in-work-6m,c1,2026-h1,2026-02-30\n",
        (3, "date_achieved", "bad_date"),
    ),
    "french_date": (
        HEADER + "P-2,in-work-6m,c1,2026-h1,01/03/2026\n",
        (2, "date_achieved", "bad_date"),
    ),
    "future_date": (
        HEADER + "P-2,in-work-6m,c1,2026-h2,2099-07-01\n",
        (2, "date_achieved", "future_date"),
    ),
    "date_outside_period": (
        HEADER + "P-2,in-work-6m,c1,2026-h1,2026-08-01\n",
        (2, "date_achieved", "outside_period"),
    ),
    "negative_value": (
        "metric,cohort,period,stage,value\nemployment-rate,c1,2026-h1,final,-3.5\n",
        (2, "value", "negative"),
    ),
    "text_in_number": (
        "metric,cohort,period,stage,value\nemployment-rate,c1,2026-h1,final,douze\n",
        (2, "value", "not_a_number"),
    ),
    "undeclared_decimal_comma": (
        'metric,cohort,period,stage,value\nemployment-rate,c1,2026-h1,final,"12,5"\n',
        (2, "value", "not_a_number"),
    ),
    "unknown_metric": (
        HEADER + "P-2,jobs,c1,2026-h1,2026-03-01\n",
        (2, "metric", "unknown_metric"),
    ),
    "unknown_cohort": (
        HEADER + "P-2,in-work-6m,c9,2026-h1,2026-03-01\n",
        (2, "cohort", "unknown_cohort"),
    ),
    "unknown_period": (
        HEADER + "P-2,in-work-6m,c1,2031-h1,2026-03-01\n",
        (2, "period", "unknown_period"),
    ),
    "not_rate_card": (
        HEADER + "P-2,employment-rate,c1,2026-h1,2026-03-01\n",
        (2, "metric", "not_rate_card"),
    ),
    "duplicate_row": (HEADER + GOOD + GOOD, (3, "participant_id", "duplicate_in_file")),
    "duplicate_result_row": (
        "metric,cohort,period,stage,value\nemployment-rate,c1,2026-h1,final,1\n"
        "employment-rate,c1,2026-h1,final,2\n",
        (3, "metric", "duplicate_in_file"),
    ),
    "empty_file": ("", (1, "", "empty_file")),
    "header_only": (HEADER, (2, "", "no_rows")),
    "huge_line": (
        HEADER + "P-2,in-work-6m,c1,2026-h1," + "9" * 10_000 + "\n",
        (2, "", "line_too_long"),
    ),
    "wrong_separator": (HEADER.replace(",", "|") + GOOD.replace(",", "|"), (1, "", "separator")),
    "wrong_field_count": (HEADER + "P-2,in-work-6m,c1,2026-h1\n", (2, "", "field_count")),
    "empty_participant": (
        HEADER + ",in-work-6m,c1,2026-h1,2026-03-01\n",
        (2, "participant_id", "required"),
    ),
    "bad_stage": (
        "metric,cohort,period,stage,value\nemployment-rate,c1,2026-h1,draft,1\n",
        (2, "stage", "bad_stage"),
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_refused_whole_naming_line_column_and_rule(cast, name):
    content, (line, column, rule) = BAD_FILES[name]
    before = (
        Result.objects.count(),
        ParticipantRecord.objects.count(),
        ImportBatch.objects.count(),
    )

    response = upload(cast, content)

    assert response.status_code == 400, response.content
    body = response.json()
    found = {(e["line"], e["column"], e["rule"]) for e in body["errors"]}
    assert (line, column, rule) in found, body["errors"]
    assert body["error_count"] >= 1
    assert all(e["message"] for e in body["errors"])
    after = (Result.objects.count(), ParticipantRecord.objects.count(), ImportBatch.objects.count())
    assert after == before


def test_one_bad_row_among_good_ones_writes_nothing(cast):
    rows = "".join(f"P-{i},in-work-6m,c1,2026-h1,2026-03-01\n" for i in range(50))
    response = upload(cast, HEADER + rows + "P-x,in-work-6m,c1,2026-h1,2026-13-01\n")
    assert response.status_code == 400
    assert [e["line"] for e in response.json()["errors"]] == [52]
    assert ParticipantRecord.objects.count() == 0
    assert Result.objects.count() == 0


def test_duplicate_in_database_names_every_repeated_row(cast):
    assert upload(cast, HEADER + GOOD).status_code == 201
    response = upload(cast, HEADER + "P-002,in-work-6m,c1,2026-h1,2026-03-01\n" + GOOD)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["line"], e["rule"]) for e in errors] == [(3, "duplicate_in_database")]
    assert ParticipantRecord.objects.count() == 1


@pytest.mark.usefixtures("unplanned_cohorts")
def test_report_keeps_the_first_thousand_errors_and_counts_all(cast):
    rows = "".join(f"P-{i},in-work-6m,c1,2026-h1,not-a-date\n" for i in range(1500))
    body = upload(cast, HEADER + rows).json()
    assert body["error_count"] == 1500
    assert len(body["errors"]) == MAX_REPORTED
    assert body["errors"][0]["line"] == 2


def test_participant_file_with_bom_loads_pseudonymised(cast):
    response = upload(cast, "\ufeff" + HEADER + GOOD + "P-002,in-work-6m,c2,2026-h1,2026-04-01\r\n")
    assert response.status_code == 201, response.content
    assert response.json()["rows"] == 2
    record = ParticipantRecord.objects.get(cohort__code="c1")
    assert record.pseudonym == pseudonym(programme_id=cast.programme.pk, participant_id="P-001")
    assert "P-001" not in str(list(ParticipantRecord.objects.values()))
    results = Result.objects.filter(from_participants=True).order_by("cohort__code")
    assert [(r.cohort.code, r.value) for r in results] == [("c1", 1), ("c2", 1)]


def test_the_participant_api_shows_the_pseudonym_in_hex_as_computed(cast):
    """Stored as 32 bytes, a pseudonym reads back as the 64 hex characters of its HMAC."""
    assert upload(cast, HEADER + GOOD).status_code == 201
    response = cast.client(cast.evaluator).get(f"/api/programmes/{cast.programme.pk}/participants/")
    assert response.status_code == 200, response.content
    [row] = response.json()["results"]
    assert row["pseudonym"] == pseudonym(programme_id=cast.programme.pk, participant_id="P-001")
    assert len(row["pseudonym"]) == 64


def test_semicolon_file_with_declared_decimal_comma_loads(cast):
    content = (
        "metric;cohort;period;stage;value;comparison_value;sample_size;comparison_sample_size\n"
        "employment-rate;c1;2026-h1;interim;42,5;31,25;98;240\n"
        "employment-rate;c2;2026-h1;interim;40;30;;\n"
    )
    response = upload(cast, content, decimal_comma=True)
    assert response.status_code == 201, response.content
    first = Result.objects.get(cohort__code="c1")
    assert (str(first.value), str(first.comparison_value)) == ("42.500000", "31.250000")
    assert (first.sample_size, first.comparison_sample_size) == (98, 240)
    assert Result.objects.get(cohort__code="c2").sample_size is None


def test_same_participant_in_two_programmes_gets_unrelated_pseudonyms(cast):
    other = pseudonym(programme_id=cast.programme.pk + 1, participant_id="P-001")
    assert other != pseudonym(programme_id=cast.programme.pk, participant_id="P-001")


def test_terminated_programme_takes_no_file(cast):
    cast.programme.status = "terminated"
    cast.programme.termination_date = cast.programme.start_date
    cast.programme.save()
    response = upload(cast, HEADER + GOOD)
    assert response.status_code == 400
    assert response.json()["errors"][0]["rule"] == "programme_closed"


def test_public_funder_cannot_import(cast):
    assert upload(cast, HEADER + GOOD, user=cast.funder).status_code == 403


@pytest.mark.parametrize(
    ("column", "flagged"),
    [
        ("Prénom", True),
        ("last_name", True),
        ("Téléphone", True),
        ("adresse postale", True),
        ("DOB", True),
        ("numéro de sécurité sociale", True),
        ("participant_id", False),
        ("metric", False),
        ("period", False),
        ("cohort", False),
    ],
)
def test_identifier_columns_are_recognised(column, flagged):
    assert (identifier_reason(column) is not None) is flagged


def test_results_load_command_imports_and_refuses(cast, tmp_path: Path):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + GOOD, encoding="utf-8")
    out = io.StringIO()
    call_command(
        "results_load",
        cast.programme.slug,
        str(good),
        user="evaluator",
        no_progress=True,
        stdout=out,
    )
    assert "Imported 1 participants rows" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + GOOD, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command(
            "results_load",
            cast.programme.slug,
            str(bad),
            user="evaluator",
            stderr=err,
            no_progress=True,
        )
    assert "line 2 [participant_id] duplicate_in_database" in err.getvalue()


def test_quoted_values_and_crlf_lines_load_like_plain_ones(cast):
    # Unquoted lines take the split fast path, quoted ones csv.reader: same pseudonyms.
    content = (
        HEADER.replace("\n", "\r\n")
        + "P-001,in-work-6m,c1,2026-h1,2026-03-01\r\n"
        + '"P,002",in-work-6m,"c1",2026-h1,2026-03-02\r\n'
        + " P-003 ,in-work-6m,c2,2026-h1, 2026-03-03 \r\n"
    )
    response = upload(cast, content)
    assert response.status_code == 201, response.content
    stored = set(ParticipantRecord.objects.values_list("pseudonym", flat=True))
    expected = {
        pseudonym(programme_id=cast.programme.pk, participant_id=pid)
        for pid in ("P-001", "P,002", "P-003")
    }
    assert stored == expected


def test_line_numbers_count_the_lines_of_a_quoted_multiline_value(cast):
    content = (
        HEADER
        + '"P-\n001",in-work-6m,c1,2026-h1,2026-03-01\n'  # lines 2-3
        + "\n"  # line 4, blank
        + "P-002,in-work-6m,c1,2026-h1,2026-02-30\n"  # line 5
        + "P-003,in-work-6m,c1\n"  # line 6
    )
    response = upload(cast, content)
    assert response.status_code == 400
    found = [(e["line"], e["rule"]) for e in response.json()["errors"]]
    assert found == [(5, "bad_date"), (6, "field_count")]


def test_one_pass_report_finds_every_kind_of_error_at_once(cast):
    assert upload(cast, HEADER + GOOD).status_code == 201
    content = (
        HEADER
        + GOOD  # 2: in the database
        + "P-2,jobs,c1,2026-h1,2026-03-01\n"  # 3: unknown metric
        + "P-3,in-work-6m,c1,2026-h1,2099-01-01\n"  # 4: future date
        + "P-4,in-work-6m,c1,2026-h1,2026-03-01\n"  # 5
        + "P-4,in-work-6m,c2,2026-h1,2026-03-01\n"  # 6: repeats line 5
    )
    body = upload(cast, content).json()
    found = {(e["line"], e["rule"]) for e in body["errors"]}
    assert found == {
        (2, "duplicate_in_database"),
        (3, "unknown_metric"),
        (4, "future_date"),
        (6, "duplicate_in_file"),
    }
    assert body["error_count"] == 4
    assert "line 5" in next(e["message"] for e in body["errors"] if e["line"] == 6)
