"""CSV import at the edge: every line ending reads, out-of-bounds values get clear messages.

Reproductions from issue 17: a file with CR-only line endings and a bare CR in the
header answered 500, through the API and the portal.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from outcomes.csv_reading import READ_BLOCK
from outcomes.models import ParticipantRecord, Result
from tests.outcomes.test_csv_import import HEADER, upload

pytestmark = pytest.mark.django_db

ROWS = [f"P-{i:03d},in-work-6m,c1,2026-h1,2026-03-01\n" for i in range(3)]


def _rules(response) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.content[:500]
    return [(e["line"], e["column"], e["rule"]) for e in response.json()["errors"]]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_lf_crlf_and_cr_only_files_load_the_same_records(cast, newline):
    content = (HEADER + "".join(ROWS)).replace("\n", newline)
    response = upload(cast, content)
    assert response.status_code == 201, response.content[:500]
    assert ParticipantRecord.objects.count() == 3


def test_a_cr_only_file_reports_errors_at_their_real_lines(cast):
    content = (HEADER + ROWS[0] + "P-9,in-work-6m,c1,2026-h1,2026-02-30\n").replace("\n", "\r")
    assert _rules(upload(cast, content)) == [(3, "date_achieved", "bad_date")]


@pytest.mark.usefixtures("unplanned_cohorts")
def test_a_cr_only_file_over_several_blocks_loads(cast):
    rows = [f"P-{i:06d},in-work-6m,c1,2026-h1,2026-03-01\r" for i in range(4000)]
    content = HEADER.replace("\n", "\r") + "".join(rows)
    assert len(content) > 2 * READ_BLOCK
    response = upload(cast, content)
    assert response.status_code == 201, response.content[:500]
    assert ParticipantRecord.objects.count() == 4000


@pytest.mark.usefixtures("unplanned_cohorts")
def test_a_crlf_cut_between_two_reads_is_one_line_end(cast):
    header = HEADER.replace("\n", "\r\n")
    filler = []
    used = len(header)
    while used < READ_BLOCK - 100:
        filler.append(f"P-{len(filler):06d},in-work-6m,c1,2026-h1,2026-03-01\r\n")
        used += len(filler[-1])
    last = "P-last,in-work-6m,c1,2026-h1,2026-03-01"
    # Pad the last row so that its CR is the block's last byte and its LF the next's first.
    pad = READ_BLOCK - used - len(last) - 1
    filler.append(f"P-{'x' * pad}" + last[2:] + "\r\n")
    filler.append("P-after,in-work-6m,c1,2026-h1,2026-03-01\r\n")
    content = header + "".join(filler)
    assert content.encode()[READ_BLOCK - 1 : READ_BLOCK + 1] == b"\r\n"
    response = upload(cast, content)
    assert response.status_code == 201, response.content[:500]
    assert ParticipantRecord.objects.count() == len(filler)


def test_a_bare_cr_in_the_header_is_a_listed_error_not_a_500(cast):
    content = "participant_id,metric\r,cohort,period,date_achieved\n" + ROWS[0]
    rules = _rules(upload(cast, content))
    assert (1, "date_achieved", "missing_column") in rules


def test_a_bare_cr_inside_a_quoted_header_cell_is_a_listed_error(cast):
    content = '"participant_id\r",metric,cohort,period,date_achieved\n' + ROWS[0]
    rules = _rules(upload(cast, content))
    assert rules and all(rule for _line, _column, rule in rules)


def test_the_portal_reads_a_cr_only_file_too(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the checked file waits there for its confirmation
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(cast.evaluator)
    content = (HEADER + "".join(ROWS)).replace("\n", "\r").encode()
    response = client.post(
        f"/programmes/{cast.programme.pk}/results/import/",
        {"file": SimpleUploadedFile("r.csv", content, "text/csv"), "stage": "interim"},
    )
    assert response.status_code == 200, response.content[:500]
    assert b"data-confirm" in response.content
    assert not ParticipantRecord.objects.exists()  # checked, not imported yet
    hidden = dict(re.findall(r'name="(job|sha256)" value="([^"]+)"', response.content.decode()))
    client.post(f"/programmes/{cast.programme.pk}/results/import/confirm/", hidden)
    assert ParticipantRecord.objects.count() == 3


def test_the_portal_lists_a_bare_cr_header_error_instead_of_failing(cast):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(cast.evaluator)
    content = b'"participant_id\r",metric,cohort,period,date_achieved\n'
    response = client.post(
        f"/programmes/{cast.programme.pk}/results/import/",
        {"file": SimpleUploadedFile("r.csv", content, "text/csv"), "stage": "interim"},
    )
    assert response.status_code == 200
    assert b"data-import-errors" in response.content
    assert not Result.objects.exists()


AGGREGATE = "metric,cohort,period,stage,value,sample_size\n"


@pytest.mark.parametrize(
    ("cells", "column", "rule", "words"),
    [
        ("1e20,", "value", "not_a_number", "exponent"),
        ("123456789012345,", "value", "out_of_bounds", "14 digits"),
        ("1.1234567,", "value", "out_of_bounds", "6 after"),
        (f"12,{2**70}", "sample_size", "out_of_bounds", "999,999,999"),
        ("12,2.5", "sample_size", "not_a_count", "whole number"),
        ("douze,", "value", "not_a_number", "not a number"),
    ],
)
def test_out_of_bounds_numbers_say_why(cast, cells, column, rule, words):
    content = AGGREGATE + f"employment-rate,c1,2026-h1,final,{cells}\n"
    response = upload(cast, content)
    assert _rules(response) == [(2, column, rule)]
    assert words in response.json()["errors"][0]["message"]
