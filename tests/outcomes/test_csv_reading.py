"""CSV import, reading: files over several 64 KiB blocks, plain and careful paths, dates.

The importer splits a "plain" block (no quote, no white space to strip, LF or CRLF) in
one go and reads any other line by line; these tests hold both paths to the same rows,
line numbers and pseudonyms, including a quoted value cut by a block boundary.
"""

import datetime

import pytest
from django.db import connection

from outcomes.csv_reading import READ_BLOCK, is_iso_date
from outcomes.models import ParticipantRecord, Result
from outcomes.pseudonyms import Pseudonymiser, pseudonym
from tests.outcomes.test_csv_import import HEADER, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unplanned_cohorts")]


def row(pid: str, date: str = "2026-03-01", cohort: str = "c1", period: str = "2026-h1") -> str:
    return f"{pid},in-work-6m,{cohort},{period},{date}\n"


def rows_from(start: int, count: int) -> list[str]:
    return [row(f"P-{i:06d}") for i in range(start, start + count)]


def line_of(lines: list[str], text: str, *, last: bool = False) -> int:
    """Line number in the file (1 = header) of the first (or last) row starting with text."""
    at = [i for i, line in enumerate(lines) if line.startswith(text)][-1 if last else 0]
    return sum(line.count("\n") for line in lines[:at]) + 1


def quoted_across_block_boundary(before: list[str], blocks: int = 1) -> list[str]:
    """Fill on from `before` so that a quoted two-line id ends the first `blocks` blocks.

    The reader cuts blocks at the last newline of each 64 KiB read: the newline inside
    the quotes is that last newline, so the value's second line opens the next block.
    """
    body = list(before)
    used = len(HEADER) + sum(map(len, body))
    start = blocks * READ_BLOCK - 10  # the quoted row starts here, its newline at +3
    while start - used > 100:
        body.append(row(f"F-{len(body):06d}"))
        used += len(body[-1])
    body.append(row("P-" + "f" * (start - used - len(row("P-")))))
    return [*body, '"P-\nwrapped",in-work-6m,c1,2026-h1,2026-03-01\n']


def test_plain_and_careful_blocks_report_the_same_lines(cast):
    lines = [HEADER]
    body = rows_from(0, 200)
    body[99] = row("P-bad-1", date="2026-02-30")  # block 1, plain
    # Block 2 ends inside a quoted value: it and block 3 are read line by line.
    body = quoted_across_block_boundary(body, blocks=2)
    body += rows_from(3000, 10)
    body.append(row("P-bad-2", date="01/03/2026"))  # block 3
    body += rows_from(4000, 3000)  # blocks 4 and 5, plain
    body.append("P-short,in-work-6m,c1\n")
    body += rows_from(150, 1)  # repeats an earlier row
    body += rows_from(8000, 10)
    lines += body
    content = "".join(lines)
    assert content.index("P-short") > 3 * READ_BLOCK

    response = upload(cast, content)

    assert response.status_code == 400, response.content
    found = [(e["line"], e["column"], e["rule"]) for e in response.json()["errors"]]
    assert found == [
        (line_of(lines, "P-bad-1"), "date_achieved", "bad_date"),
        (line_of(lines, "P-bad-2"), "date_achieved", "bad_date"),
        (line_of(lines, "P-short"), "", "field_count"),
        (line_of(lines, "P-000150,", last=True), "participant_id", "duplicate_in_file"),
    ]
    repeat = response.json()["errors"][-1]
    assert f"line {line_of(lines, 'P-000150,')}" in repeat["message"]
    # The quoted value took two lines: the rows after it are numbered past both.
    quoted = line_of(lines, '"P-')
    assert line_of(lines, "P-bad-2") == quoted + 2 + 10
    assert ParticipantRecord.objects.count() == 0


def test_a_good_file_over_several_blocks_loads_every_row_once(cast):
    body = quoted_across_block_boundary(rows_from(0, 500)) + rows_from(10_000, 3000)
    body += [row(f"Q-{i}", cohort="c2", period="2026-h2", date="2026-07-14") for i in range(700)]
    content = HEADER + "".join(body)

    response = upload(cast, content)

    assert response.status_code == 201, response.content
    assert response.json()["rows"] == len(body)
    counts = {
        (r.cohort.code, r.period.code): r.value
        for r in Result.objects.filter(from_participants=True)
    }
    assert counts == {("c1", "2026-h1"): len(body) - 700, ("c2", "2026-h2"): 700}
    key = Pseudonymiser(programme_id=cast.programme.pk)
    wrapped = ParticipantRecord.objects.get(pseudonym=key("P-\nwrapped"))
    assert wrapped.achieved_on == datetime.date(2026, 3, 1)
    q = ParticipantRecord.objects.get(pseudonym=key("Q-699"))
    assert (q.cohort.code, q.period.code, q.achieved_on) == (
        "c2",
        "2026-h2",
        datetime.date(2026, 7, 14),
    )


def test_crlf_file_loads_and_reports_like_an_lf_file(cast):
    body = rows_from(0, 2500)
    body[1999] = row("P-bad", date="2026-06-31")
    lines = [HEADER, *body]
    crlf = "".join(line.replace("\n", "\r\n") for line in lines)

    response = upload(cast, crlf)

    assert response.status_code == 400
    assert [(e["line"], e["rule"]) for e in response.json()["errors"]] == [(2001, "bad_date")]

    body[1999] = row("P-001999")
    response = upload(cast, "".join(line.replace("\n", "\r\n") for line in [HEADER, *body]))
    assert response.status_code == 201, response.content
    record = ParticipantRecord.objects.get(
        pseudonym=pseudonym(programme_id=cast.programme.pk, participant_id="P-002499")
    )
    assert record.achieved_on == datetime.date(2026, 3, 1)


def test_mixed_line_endings_and_unicode_spaces_are_stripped_like_ascii_ones(cast):
    content = (
        HEADER
        + "".join(rows_from(0, 100))
        + row("\u00a0P-nbsp\u2003", date="2026-03-02\u00a0")  # no-break and em spaces
        + row("P-crlf").replace("\n", "\r\n")
        + "".join(rows_from(100, 100))
    )
    response = upload(cast, content)
    assert response.status_code == 201, response.content
    key = Pseudonymiser(programme_id=cast.programme.pk)
    nbsp = ParticipantRecord.objects.get(pseudonym=key("P-nbsp"))
    assert nbsp.achieved_on == datetime.date(2026, 3, 2)
    assert ParticipantRecord.objects.filter(pseudonym=key("P-crlf")).exists()


def test_a_bad_date_with_tab_and_backslash_is_reported_with_its_text(cast):
    response = upload(cast, HEADER + row("P-1") + 'P-2,in-work-6m,c1,2026-h1,"2026\\03\t01"\n')
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["line"], error["rule"]) == (3, "bad_date")
    # The text arrives whole through COPY; the message quotes it as SQL's %L does.
    assert error["message"].startswith("E'2026\\\\03\t01' is not a date")


def test_a_file_cut_inside_a_character_is_refused(cast):
    data = (HEADER + row("P-1") + row("P-2").rstrip("\n") + "é").encode()[:-1]
    response = upload(cast, data)
    assert response.status_code == 400
    assert [(e["line"], e["rule"]) for e in response.json()["errors"]] == [(3, "encoding")]
    assert ParticipantRecord.objects.count() == 0


def test_an_encoding_error_in_a_later_block_names_its_line(cast):
    lines = [HEADER, *rows_from(0, 3000)]
    data = "".join(lines).encode() + b"P-\xff,in-work-6m,c1,2026-h1,2026-03-01\n"
    response = upload(cast, data)
    assert response.status_code == 400
    assert [(e["line"], e["rule"]) for e in response.json()["errors"]] == [(3002, "encoding")]


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ((HEADER + row("P-1")).encode("utf-16-le"), 1),  # "Unicode text" without BOM
        ((HEADER + row("P-1") + row("P-2", date="2026-03-01\x00")).encode(), 3),
        ((HEADER + row("P-1") + "P-\x003,in-work-6m,c1,2026-h1,2026-03-01\n").encode(), 3),
        ((HEADER + row("P-1") + "P-3,in-work-6m\x00,c1,2026-h1,2026-03-01\n").encode(), 3),
    ],
)
def test_a_nul_character_is_refused_as_not_utf8_text(cast, content, line):
    response = upload(cast, content)
    assert response.status_code == 400, response.content
    assert [(e["line"], e["rule"]) for e in response.json()["errors"]] == [(line, "encoding")]
    assert ParticipantRecord.objects.count() == 0


def test_a_line_without_end_stops_the_reading_without_holding_the_file(cast):
    content = HEADER + row("P-1", date="2026-02-30") + "P-2," + "x" * 3_000_000
    response = upload(cast, content)
    assert response.status_code == 400
    found = [(e["line"], e["rule"]) for e in response.json()["errors"]]
    assert found == [(2, "bad_date"), (3, "line_too_long")]


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-01",
        "2024-02-29",
        "2026-02-29",
        "2026-02-30",
        "2026-04-31",
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "0000-01-01",
        "0001-01-01",
        "9999-12-31",
        "2026-3-01",
        "20260301",
        "2026/03/01",
        "01/03/2026",
        "2026-03-01T00:00",
        "2026-W09-7",
        "\uff12\uff10\uff12\uff16-03-01",  # full-width digits
        "\u0662\u0660\u0662\u0666-03-01",  # Arabic-Indic digits
        "",
        "2026-03-01 ",
    ],
)
def test_date_rule_is_the_database_rule(text):
    with connection.cursor() as cursor:
        cursor.execute("SELECT outcomes_is_iso_date(%s)", [text])
        assert is_iso_date(text) is cursor.fetchone()[0]


def test_pseudonymiser_many_is_pseudonym_for_each():
    ids = ["P-001", "é-ü", "P,002", "x" * 200]
    assert Pseudonymiser(programme_id=7).many(ids) == [
        pseudonym(programme_id=7, participant_id=i) for i in ids
    ]
