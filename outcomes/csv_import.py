"""Bulk import of results and participant records from CSV: all or nothing, streamed.

Two kinds of file, told apart by their header (docs/results-csv.md):
- participant records: participant_id, metric, cohort, period, date_achieved
- aggregate results:   metric, cohort, period, stage, value
                       [, comparison_value, sample_size, comparison_sample_size]

The pipeline, chosen so that a million rows cost as little as this schema allows:
1. Python reads the file once, as a stream, in 64 KiB blocks: UTF-8 with or without BOM,
   `,` or `;`; it refuses identifier-like columns from the header alone, checks each
   row's width, applies the programme's pseudonym rule to the provider's participant id
   (normalised, or refused naming its line: outcomes.pseudonyms) and replaces it by its
   pseudonym (the raw id never reaches the database, not even the staging table). A
   plain block (no quote, no white space to strip, no over-long line: nearly all of them)
   is split on the separator in one comprehension, skipping the per-line checks and
   strip(); any other goes line by line, through csv.reader for a quoted line.
   Participant rows are staged as (line, cell number, date, bad date text, pseudonym);
   the date rule (YYYY-MM-DD, a real day) is applied in Python once per distinct text,
   so the insert compares dates.
2. The rows are streamed with COPY into a TEMP staging table (dropped at commit), in
   blocks of about _COPY_BATCH lines; the server parses them while Python reads on.
3. Validation is set-based SQL over the staging table: joins to metrics, cohorts and
   periods, text tests before casts, duplicates in the file (a window) and against the
   database (a join) are computed into one table, and one scan of it emits every error.
4. One INSERT ... SELECT writes the rows. For participant files the insert is tried
   first and the full error scan runs only if it did not take every row: the unique
   constraint and the joins already refuse every bad row, and the happy path then reads
   the staging table once. The rows go in sorted by pseudonym (one "C" key).
Where a million-row import spends its time is in docs/results-csv.md ("Speed").
Any error rolls the whole transaction back; the report lists every bad row (line,
column, rule), the first MAX_REPORTED of them plus the total.
"""

import codecs
import csv
import datetime
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from outcomes.csv_checks import (
    count_checks,
    implausible_cell_message,
    number_checks,
    plausibility_checks,
)
from outcomes.models import Cohort, ImportBatch, Result, Stage
from outcomes.plausibility import plausible_limit
from outcomes.pseudonyms import ParticipantIdRefused, Pseudonymiser
from sib.models import Programme, User

MAX_REPORTED = 1000
MAX_LINE_CHARS = 4096
_COPY_BATCH = 10_000
_READ_BLOCK = 1 << 16
_LONGEST_READ = 1 << 20  # a line without end this long is refused unread (MAX_LINE_CHARS)
_DATE_CACHE = 4096  # distinct date texts remembered while reading a participant file
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
IMPORT_LOCK_NAMESPACE = 0x0C5F  # (namespace, programme id): one import per programme at a time

PARTICIPANT_COLUMNS = ("participant_id", "metric", "cohort", "period", "date_achieved")
RESULT_COLUMNS = ("metric", "cohort", "period", "stage", "value")
RESULT_OPTIONAL = ("comparison_value", "sample_size", "comparison_sample_size")

# Direct identifiers (CNIL): a column whose normalised name contains one of these words is
# refused outright, even empty. Matched on words, accents and case removed.
_IDENTIFIER_PATTERNS = (
    (r"\b(first|last|family|given|full|sur|maiden)?\s?names?\b", "a name"),
    (r"\b(nom|noms|prenom|prenoms|nom de famille|nom d usage|nom de naissance)\b", "a name"),
    (r"\b(e ?mail|courriel|mel)\b", "an e-mail address"),
    (r"\b(phone|telephone|tel|mobile|portable|gsm|cell)\b", "a phone number"),
    (r"\b(address|adresse|street|rue|code postal|postcode|zip|postal)\b", "a postal address"),
    (
        r"\b(date of birth|birth ?date|dob|born|date de naissance|naissance|ddn|birthday)\b",
        "a date of birth",
    ),
    (
        r"\b(nir|ssn|social security|securite sociale|secu|insee|numero de securite"
        r"|national insurance|nino|passport|passeport|id card|carte d identite)\b",
        "a social-security or identity-document number",
    ),
    (r"\b(ip|ip address|iban)\b", "a direct identifier"),
)


@dataclass(frozen=True, order=True)
class RowError:
    line: int
    column: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": f"line {self.line}" + (f", {self.column}" if self.column else ""),
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "message": self.message,
        }


class ImportRejected(Exception):
    """The file was refused; nothing was written. `errors` holds the first MAX_REPORTED."""

    def __init__(self, errors: list[RowError], total: int) -> None:
        self.errors = sorted(errors)[:MAX_REPORTED]
        self.total = total
        super().__init__(f"{total} error(s); first: {self.errors[0] if self.errors else '-'}")


@dataclass
class ImportSummary:
    kind: str
    rows: int
    batch_id: int
    result_ids: list[int] = field(default_factory=list)


Progress = Callable[[str, int], None]


def identifier_reason(column: str) -> str | None:
    """Return what direct identifier a column name looks like, or None."""
    text = unicodedata.normalize("NFKD", column).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    if text in {"participant id"}:
        return None
    for pattern, what in _IDENTIFIER_PATTERNS:
        if re.search(pattern, text):
            return what
    return None


class _Errors:
    """Errors found while reading: all counted, the first MAX_REPORTED kept."""

    def __init__(self) -> None:
        self.kept: list[RowError] = []
        self.total = 0

    def add(self, line: int, column: str, rule: str, message: str) -> None:
        self.total += 1
        if len(self.kept) < MAX_REPORTED:
            self.kept.append(RowError(line, column, rule, message))


class _Unreadable(Exception):
    """The file cannot be read on from `line`: a byte that is not UTF-8, or a line so long
    that keeping it would mean holding the file in memory."""

    def __init__(
        self,
        line: int,
        rule: str = "encoding",
        message: str = "Not UTF-8 from this line on; reading stopped.",
    ) -> None:
        self.line = line
        self.rule = rule
        self.message = message


def _decoded_blocks(raw: IO[bytes], digest: Any) -> Iterator[str]:
    """Yield the file decoded as strict UTF-8 (BOM dropped) in blocks of whole lines.

    Every block but the last ends with a newline. The bytes are hashed on the way. A line
    that has no end within _LONGEST_READ characters stops the reading (memory stays flat),
    and so does a NUL character, which no PostgreSQL text can hold.
    Decoding here rather than through io.TextIOWrapper lets an encoding error name its
    line: the lines before it are counted, and so are the newlines before the bad byte.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    pending = ""
    lines_done = 0
    first = True
    while True:
        block = raw.read(_READ_BLOCK)
        digest.update(block)
        try:
            text = decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            before = exc.object[: exc.start].count(b"\n") if isinstance(exc.object, bytes) else 0
            raise _Unreadable(lines_done + before + 1) from None
        if first:
            text = text.removeprefix("\ufeff")
            first = False
        if not block:
            break
        text = pending + text if pending else text
        held = ""
        if "\r" in text:
            if text.endswith("\r"):
                text, held = text[:-1], "\r"  # its LF may open the next read
            text = _bare_cr_to_lf(text)
        if "\x00" in text:  # UTF-16 saved without BOM, or not text: COPY cannot take it
            nul = text.index("\x00")
            raise _Unreadable(
                lines_done + text.count("\n", 0, nul) + 1,
                "encoding",
                "A NUL character: not a UTF-8 text file (save it as CSV UTF-8); reading stopped.",
            )
        cut = text.rfind("\n") + 1
        pending = text[cut:] + held
        if cut:
            lines_done += text.count("\n", 0, cut)
            yield text[:cut]
        if len(pending) > _LONGEST_READ:
            raise _Unreadable(
                lines_done + 1,
                "line_too_long",
                f"No end of line within {_LONGEST_READ:,} characters; reading stopped.",
            )
    if pending or text:
        yield _bare_cr_to_lf(pending + text)


_BARE_CR = re.compile(r"\r(?!\n)")


def _bare_cr_to_lf(text: str) -> str:
    """Read a lone carriage return as a line end, as csv and universal newlines do.

    Files saved by old Mac software end their lines in CR alone; a stray CR in the
    header did the same damage. Both used to reach csv.reader as one huge line (a 500).
    """
    return _BARE_CR.sub("\n", text) if "\r" in text else text


# ASCII characters that str.strip() removes, but not the newline; and the same for any text.
_ASCII_SPACES = (" ", "\t", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")
_SPACE = re.compile(r"[^\S\r\n]")


def _plain_lines(block: str) -> list[str] | None:
    """Return the block's lines without their ending, if none needs csv.reader or strip().

    A plain block has no quote, no white space inside a line (so no value to strip) and
    no line over MAX_LINE_CHARS; its lines end all in LF or all in CRLF. Splitting it on
    the separator then gives exactly what the careful path (_rows) would.
    """
    if '"' in block:
        return None
    newline = "\n"
    if "\r" in block:
        crlf = block.count("\r\n")
        if crlf != block.count("\r") or crlf != block.count("\n"):
            return None
        newline = "\r\n"
    if block.isascii():
        if any(space in block for space in _ASCII_SPACES):
            return None
    elif _SPACE.search(block):
        return None
    lines = block.split(newline)
    if not lines[-1]:
        lines.pop()
    if max(map(len, lines), default=0) > MAX_LINE_CHARS:
        return None
    return lines


class _Lines:
    """The file's lines, numbered; a plain stretch of them can be taken whole.

    Iterating yields one line at a time with its newline (what csv.reader and the header
    want); `plain_block()` hands over the rest of the current block, or the next block,
    when it is plain (see _plain_lines), which spares the million-row case the per-line
    checks. `number` is the number of the last line handed out, either way.
    """

    def __init__(self, blocks: Iterator[str]) -> None:
        self._blocks = blocks
        self._text = ""
        self._at = 0
        self.number = 0
        self.done = False

    def __iter__(self) -> "_Lines":
        return self

    def _load(self) -> bool:
        try:
            self._text = next(self._blocks)
        except StopIteration:
            self.done = True
            self._text, self._at = "", 0
            return False
        except _Unreadable:
            self.done = True
            self._text, self._at = "", 0
            raise
        self._at = 0
        return True

    @property
    def at_block_end(self) -> bool:
        return self._at >= len(self._text)

    def __next__(self) -> str:
        if self._at >= len(self._text) and not self._load():
            raise StopIteration
        end = self._text.find("\n", self._at) + 1 or len(self._text)
        line = self._text[self._at : end]
        self._at = end
        self.number += 1
        return line

    def plain_block(self) -> list[str] | None:
        """Take the rest of the block whole if it is plain; None if not, or at the end."""
        if self._at >= len(self._text) and not self._load():
            return None
        rest = self._text[self._at :] if self._at else self._text
        lines = _plain_lines(rest)
        if lines is not None:
            self._at = len(self._text)
            self.number += len(lines)
        return lines


def is_iso_date(text: str) -> bool:
    """Whether a text is a date the import takes: the rule of outcomes_is_iso_date.

    YYYY-MM-DD in ASCII digits, a day that exists, year 1 or later. Migration 0002 has
    the same rule in SQL; tests/outcomes/test_csv_reading.py holds the two together.
    """
    if _ISO_DATE.fullmatch(text) is None:
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _copy_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


@dataclass
class _Header:
    kind: str
    delimiter: str
    index: dict[str, int]
    width: int


def _read_header(lines: _Lines, errors: _Errors) -> _Header | None:
    try:
        first = next(lines, "")
    except _Unreadable as exc:
        if exc.rule == "encoding":
            errors.add(exc.line, "", "encoding", "The file is not UTF-8 (save it as CSV UTF-8).")
        else:
            errors.add(exc.line, "", exc.rule, exc.message)
        return None
    if not first.strip():
        errors.add(1, "", "empty_file", "The file is empty: expected a header line.")
        return None
    if len(first) > MAX_LINE_CHARS:
        errors.add(
            1, "", "line_too_long", f"The header is longer than {MAX_LINE_CHARS} characters."
        )
        return None
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        cells = next(csv.reader([first], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        errors.add(1, "", "csv_syntax", f"The header is not valid CSV: {exc}.")
        return None
    names = [n.strip().strip('"').strip().lower() for n in cells]
    if len(names) == 1:
        errors.add(
            1,
            "",
            "separator",
            f"Only one column found ({names[0][:60]!r}): separate columns with ',' or ';'.",
        )
        return None
    found_identifier = False
    for name in names:
        reason = identifier_reason(name)
        if reason:
            found_identifier = True
            errors.add(
                1,
                name,
                "identifier_column",
                f"Column {name!r} looks like {reason}. The ledger stores no direct identifier: "
                "remove the column; participants are known only by the provider's "
                "participant_id, which is pseudonymised on import.",
            )
    kind = "participants" if "participant_id" in names else "results"
    required = PARTICIPANT_COLUMNS if kind == "participants" else RESULT_COLUMNS
    allowed = set(required) | (set(RESULT_OPTIONAL) if kind == "results" else set())
    for column in required:
        if column not in names:
            errors.add(1, column, "missing_column", f"Required column {column!r} is missing.")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            errors.add(1, name, "repeated_column", f"Column {name!r} appears twice.")
        seen.add(name)
        if name not in allowed and not identifier_reason(name):
            errors.add(
                1,
                name,
                "unknown_column",
                f"Unknown column {name!r}; expected {', '.join(sorted(allowed))}.",
            )
    if errors.total or found_identifier:
        return None
    return _Header(kind, delimiter, {n: i for i, n in enumerate(names)}, len(names))


def _field_count_error(errors: _Errors, line: int, row: list[str], header: _Header) -> None:
    if len(row) == 1 and not row[0].strip():
        return  # a blank line, e.g. a trailing one
    errors.add(
        line,
        "",
        "field_count",
        f"{len(row)} fields where the header has {header.width} (is the separator "
        f"{header.delimiter!r} used inside a value without quotes?).",
    )


def _rows(
    lines: _Lines, header: _Header, errors: _Errors, *, to_block_end: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields) for rows of the right width; record the others.

    A line without a quote is split on the separator directly, which is what the csv
    module would do with it, at a fraction of the cost; a line with a quote (or a stray
    carriage return) goes through csv.reader, which may read the following lines of a
    quoted value. A row's number is the line it starts on. With `to_block_end`, stop at
    the end of the current block (a quoted value may carry the reading into the next).
    An encoding or CSV syntax error stops the reading for good (`lines.done`).
    """
    csv.field_size_limit(MAX_LINE_CHARS)
    delimiter, width = header.delimiter, header.width
    while not (to_block_end and lines.at_block_end):
        try:
            text = next(lines)
        except StopIteration:
            return
        except _Unreadable as exc:
            errors.add(exc.line, "", exc.rule, exc.message)
            return
        start = lines.number
        body = text[:-1] if text.endswith("\n") else text
        if body.endswith("\r"):
            body = body[:-1]
        if '"' not in body and "\r" not in body:
            row = body.split(delimiter)
            size = len(body) - len(row) + 1
        else:
            reader = csv.reader(itertools.chain([text], lines), delimiter=delimiter, strict=True)
            try:
                row = next(reader, [])
            except _Unreadable as exc:
                errors.add(exc.line, "", exc.rule, exc.message)
                return
            except csv.Error as exc:
                rule = "line_too_long" if "field larger" in str(exc) else "csv_syntax"
                errors.add(lines.number, "", rule, f"{exc}; reading stopped.")
                lines.done = True
                return
            size = sum(map(len, row))
        if len(row) != width:
            if row:
                _field_count_error(errors, start, row, header)
            continue
        if size > MAX_LINE_CHARS:
            errors.add(start, "", "line_too_long", f"Longer than {MAX_LINE_CHARS} characters.")
            continue
        yield start, row


def results_import(
    *,
    programme: Programme,
    user: User,
    stream: IO[bytes],
    filename: str = "",
    decimal_comma: bool = False,
    stage: str = Stage.INTERIM,
    progress: Progress | None = None,
    over_planned_size: bool = False,
) -> ImportSummary:
    """Load a CSV of results or participant records, all or nothing (ImportRejected).

    `over_planned_size` declares counts above the plausible size of their cohort
    (outcomes.plausibility); without it they are refused.
    """
    if not programme.accepts_new_entries:
        raise ImportRejected(
            [
                RowError(
                    0,
                    "",
                    "programme_closed",
                    f"The programme is {programme.status}: it accepts no new results.",
                )
            ],
            1,
        )
    digest = hashlib.sha256()
    text = _Lines(_decoded_blocks(stream, digest))
    errors = _Errors()
    header = _read_header(text, errors)
    if header is None:
        raise ImportRejected(errors.kept, errors.total)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK_NAMESPACE, programme.pk]
        )
        # ON COMMIT DROP is not enough when the caller's transaction spans two imports.
        cursor.execute(
            "DROP TABLE IF EXISTS import_staging, import_cells, import_results, checked, "
            "import_errors"
        )
        if header.kind == "participants":
            importer: _Importer = _ParticipantImporter(programme, user, stage, errors)
        else:
            importer = _ResultImporter(programme, user, decimal_comma, errors)
        importer.over_planned_size = over_planned_size
        importer.stage_rows(cursor, text, header, progress)
        importer.check_counts()
        if progress:
            progress("validating", importer.staged)
        if importer.staged == 0 and errors.total == 0:
            errors.add(2, "", "no_rows", "The file has a header but no data rows.")
        if errors.total:
            # Rows refused while reading: report them with every error the SQL checks find.
            sql_errors, sql_total = importer.detailed_errors(cursor)
            raise ImportRejected(errors.kept + sql_errors, errors.total + sql_total)
        batch = ImportBatch.objects.create(
            programme=programme,
            kind=header.kind,
            filename=filename[:255],
            sha256=digest.hexdigest(),
            rows=importer.staged,
            imported_by=user,
        )
        summary = importer.write(cursor, batch)
        if progress:
            progress("done", importer.staged)
        return summary


class _Refused(Exception):
    """The optimistic insert did not take every staged row."""


class _Importer:
    staging_columns: tuple[str, ...] = ()
    over_planned_size = False

    def __init__(self, programme: Programme, user: User, errors: _Errors) -> None:
        self.programme = programme
        self.user = user
        self.errors = errors
        self.staged = 0

    def transform(self, line: int, row: list[str], header: _Header) -> list[str] | None:
        raise NotImplementedError

    def stage_rows(
        self, cursor: Any, text: _Lines, header: _Header, progress: Progress | None
    ) -> None:
        columns = ", ".join(f"{c} text" for c in self.staging_columns)
        cursor.execute(f"CREATE TEMP TABLE import_staging (line int, {columns}) ON COMMIT DROP")
        names = ", ".join(("line", *self.staging_columns))
        buffer: list[str] = []
        with cursor.cursor.copy(f"COPY import_staging ({names}) FROM STDIN") as copy:
            for line, row in _rows(text, header, self.errors):
                values = self.transform(line, row, header)
                if values is None:
                    continue
                joined = "\t".join(values)
                # Escaping is rare (a tab or backslash inside a quoted value): test once.
                if (
                    "\\" in joined
                    or "\n" in joined
                    or "\r" in joined
                    or joined.count("\t") != len(values) - 1
                ):
                    joined = "\t".join(_copy_escape(v) for v in values)
                buffer.append(f"{line}\t{joined}\n")
                if len(buffer) >= _COPY_BATCH:
                    copy.write("".join(buffer))
                    self.staged += len(buffer)
                    buffer.clear()
                    if progress:
                        progress("reading", self.staged)
            if buffer:
                copy.write("".join(buffer))
                self.staged += len(buffer)

    def detailed_errors(self, cursor: Any) -> tuple[list[RowError], int]:
        """Run every SQL check over the staging table; return the first errors and the total.

        The references, the text tests, the duplicates in the file (a window) and in the
        database (a join) are computed once into `checked`; one scan of it then emits every
        (line, column, rule, message) through a LATERAL list of checks.
        """
        cursor.execute(
            "CREATE TEMP TABLE import_errors (line int, col text, rule text, message text) "
            "ON COMMIT DROP"
        )
        self._checked_table(cursor)
        checks = ",\n".join(
            f"('{column}', '{rule}', CASE WHEN {condition} THEN {message} END)"
            for condition, column, rule, message in self._checks()
        )
        cursor.execute(
            # Only the constant checks are formatted in (S608); the values are bound.
            "INSERT INTO import_errors SELECT k.line, e.col, e.rule, e.message "  # noqa: S608
            f"FROM checked k CROSS JOIN LATERAL (VALUES {checks}) e(col, rule, message) "
            "WHERE e.message IS NOT NULL",
            self._params(),
        )
        cursor.execute("SELECT count(*) FROM import_errors")
        total = cursor.fetchone()[0]
        cursor.execute(
            "SELECT line, col, rule, message FROM import_errors ORDER BY line, col LIMIT %s",
            [MAX_REPORTED],
        )
        return [RowError(*row) for row in cursor.fetchall()], total

    def _params(self) -> dict[str, Any]:
        return {"programme": self.programme.pk, "over": self.over_planned_size}

    def check_counts(self) -> None:
        """Record counts the cohorts make implausible (outcomes.plausibility)."""

    def _checked_table(self, cursor: Any) -> None:
        raise NotImplementedError

    def _checks(self) -> list[tuple[str, str, str, str]]:
        """(condition, column, rule, message): SQL over `checked`, constants only."""
        raise NotImplementedError

    def write(self, cursor: Any, batch: ImportBatch) -> ImportSummary:
        raise NotImplementedError


# The references every row makes: metric, cohort and period by code, and whether the
# metric is measured for that cohort and period. Materialised once for the checks.
_REFERENCES = """
    LEFT JOIN outcomes_metric m ON m.programme_id = %(programme)s AND m.code = s.metric
    LEFT JOIN outcomes_cohort c ON c.programme_id = %(programme)s AND c.code = s.cohort
    LEFT JOIN outcomes_period p ON p.programme_id = %(programme)s AND p.code = s.period
    LEFT JOIN outcomes_metric_cohort mc ON mc.metric_id = m.id AND mc.cohort_id = c.id
    LEFT JOIN outcomes_metric_period mp ON mp.metric_id = m.id AND mp.measurementperiod_id = p.id
"""

_REFERENCE_CHECKS = [
    ("metric = ''", "metric", "required", "'metric is empty'"),
    (
        "metric <> '' AND metric_id IS NULL",
        "metric",
        "unknown_metric",
        "format('unknown metric %%L', metric)",
    ),
    ("cohort = ''", "cohort", "required", "'cohort is empty'"),
    (
        "cohort <> '' AND cohort_id IS NULL",
        "cohort",
        "unknown_cohort",
        "format('unknown cohort %%L', cohort)",
    ),
    (
        "metric_id IS NOT NULL AND cohort_id IS NOT NULL AND NOT cohort_ok",
        "cohort",
        "cohort_not_for_metric",
        "format('metric %%L is not measured for cohort %%L', metric, cohort)",
    ),
    ("period = ''", "period", "required", "'period is empty'"),
    (
        "period <> '' AND period_id IS NULL",
        "period",
        "unknown_period",
        "format('unknown period %%L', period)",
    ),
    (
        "metric_id IS NOT NULL AND period_id IS NOT NULL AND NOT period_ok",
        "period",
        "period_not_for_metric",
        "format('metric %%L is not measured in period %%L', metric, period)",
    ),
]


class _ParticipantImporter(_Importer):
    def __init__(self, programme: Programme, user: User, stage: str, errors: _Errors) -> None:
        super().__init__(programme, user, errors)
        self.stage = stage
        # Read under the import lock, which programme_pseudonym_rule_set also takes.
        rule = Programme.objects.values_list("pseudonym_rule", flat=True).get(pk=programme.pk)
        self.pseudonymise = Pseudonymiser(programme_id=programme.pk, rule=rule)
        # (metric, cohort, period) codes -> [cell number, rows]: a file has a handful.
        self.cells: dict[tuple[str, str, str], list[int]] = {}
        self.dates: dict[str, str] = {}  # date text -> its staged columns (_date_columns)

    def stage_rows(
        self, cursor: Any, text: _Lines, header: _Header, progress: Progress | None
    ) -> None:
        """Stream (line, cell number, date, bad date text, pseudonym) rows into staging.

        The codes of a row are replaced by the number of their cell (import_cells maps it
        back), so each staged row is small and the final insert joins on one integer.
        The date is checked here (YYYY-MM-DD, a real day) once per distinct text: a good
        one is staged typed, for COPY to parse while Python reads on, and a bad one as its
        text, for the error report. The file is read a block at a time: a plain block
        (most of them; see _plain_lines) skips the per-line checks and strip().
        """
        cursor.execute(
            "CREATE TEMP TABLE import_staging (line int, cell int, on_date date, achieved text,"
            " pseudonym text) ON COMMIT DROP"
        )
        delimiter = header.delimiter
        heads: list[str] = []  # "line\tcell\ton_date\tachieved\t", the pseudonym follows
        ids: list[str] = []
        with cursor.cursor.copy("COPY import_staging FROM STDIN") as copy:

            def send() -> None:
                pseudonyms = self.pseudonymise.hash_many(ids)
                copy.write("\n".join(map(str.__add__, heads, pseudonyms)) + "\n")
                self.staged += len(ids)
                heads.clear()
                ids.clear()
                if progress:
                    progress("reading", self.staged)

            while not text.done:
                try:
                    plain = text.plain_block()
                except _Unreadable as exc:
                    self.errors.add(exc.line, "", exc.rule, exc.message)
                    break
                if plain is not None:
                    first = text.number - len(plain) + 1
                    rows = [line.split(delimiter) for line in plain]
                    numbered = zip(range(first, text.number + 1), rows, strict=True)
                    self._take(numbered, header, heads, ids)
                elif not text.done:
                    careful = _rows(text, header, self.errors, to_block_end=True)
                    stripped = ((line, [v.strip() for v in row]) for line, row in careful)
                    self._take(stripped, header, heads, ids)
                if len(ids) >= _COPY_BATCH:
                    send()
            if ids:
                send()
        cursor.execute(
            "CREATE TEMP TABLE import_cells (cell int, metric text, cohort text, period text)"
            " ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY import_cells FROM STDIN") as copy:
            for (metric, cohort, period), (number, _rows_in_cell) in self.cells.items():
                copy.write_row((number, metric, cohort, period))

    def _take(
        self,
        numbered: Iterable[tuple[int, list[str]]],
        header: _Header,
        heads: list[str],
        ids: list[str],
    ) -> None:
        """Check rows (stripped already) and add them to `heads` and `ids`.

        This loop runs once per row of a million-row file: it is kept flat on purpose.
        """
        pid_at, metric_at, cohort_at, period_at, date_at = (
            header.index[c] for c in PARTICIPANT_COLUMNS
        )
        width, cells, dates, errors = header.width, self.cells, self.dates, self.errors
        add_head, add_id, clean = heads.append, ids.append, self.pseudonymise.clean
        for line, row in numbered:
            if len(row) != width:
                _field_count_error(errors, line, row, header)
                continue
            participant = row[pid_at]
            if not participant:
                errors.add(line, "participant_id", "required", "participant_id is empty")
                continue
            try:
                # The programme's rule (outcomes.pseudonyms): what is hashed, what is refused.
                participant = clean(participant)
            except ParticipantIdRefused as refused:
                errors.add(line, "participant_id", refused.rule, refused.message)
                continue
            key = (row[metric_at], row[cohort_at], row[period_at])
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = [len(cells), 0]
            cell[1] += 1
            achieved = row[date_at]
            columns = dates.get(achieved)
            if columns is None:
                columns = self._date_columns(achieved)
            add_head(f"{line}\t{cell[0]}\t{columns}\t")
            add_id(participant)

    def check_counts(self) -> None:
        if self.over_planned_size or not self.cells:
            return
        limits = {
            cohort.code: plausible_limit(cohort)
            for cohort in Cohort.objects.filter(
                programme=self.programme, code__in={cohort for _m, cohort, _p in self.cells}
            )
        }
        for (metric, cohort, period), (_cell, rows) in sorted(self.cells.items()):
            limit = limits.get(cohort)
            if limit is not None and rows > limit:
                self.errors.add(
                    0,
                    "cohort",
                    "implausible_count",
                    implausible_cell_message(
                        metric=metric, cohort=cohort, period=period, rows=rows, limit=limit
                    ),
                )

    def _date_columns(self, text: str) -> str:
        """Return the staged (on_date, achieved) of a date text: the date, or the bad text.

        Distinct texts are few in a file: the answer is cached (a bounded number of them).
        """
        columns = f"{text}\t\\N" if is_iso_date(text) else f"\\N\t{_copy_escape(text)}"
        if len(self.dates) < _DATE_CACHE and len(text) <= 16:
            self.dates[text] = columns
        return columns

    def _checked_table(self, cursor: Any) -> None:
        cursor.execute(
            f"""
            CREATE TEMP TABLE checked ON COMMIT DROP AS
            SELECT s.*, m.id AS metric_id, m.mechanism->>'kind' AS mechanism_kind,
                   c.id AS cohort_id, p.id AS period_id, p.start_date, p.end_date,
                   mc.metric_id IS NOT NULL AS cohort_ok, mp.metric_id IS NOT NULL AS period_ok,
                   min(s.line) OVER (PARTITION BY s.metric, s.period, s.pseudonym) AS first_line,
                   r.result_id AS recorded_in
            FROM (SELECT s.line, s.pseudonym, k.metric, k.cohort, k.period, s.on_date,
                         s.achieved
                  FROM import_staging s JOIN import_cells k ON k.cell = s.cell) s
            {_REFERENCES}
            LEFT JOIN outcomes_participant_record r ON r.metric_id = m.id
                 AND r.period_id = p.id AND r.pseudonym = s.pseudonym
            """,  # noqa: S608 - only the constant joins are formatted in
            self._params(),
        )

    def _checks(self) -> list[tuple[str, str, str, str]]:
        return [
            *_REFERENCE_CHECKS,
            (
                "metric_id IS NOT NULL AND mechanism_kind <> 'rate_card'",
                "metric",
                "not_rate_card",
                "format('metric %%L pays by %%s: participant records are for rate-card "
                "metrics', metric, mechanism_kind)",
            ),
            ("achieved = ''", "date_achieved", "required", "'date_achieved is empty'"),
            (
                "achieved <> '' AND on_date IS NULL",
                "date_achieved",
                "bad_date",
                "format('%%L is not a date: write YYYY-MM-DD', achieved)",
            ),
            (
                "on_date > current_date",
                "date_achieved",
                "future_date",
                "format('%%s is in the future', on_date)",
            ),
            (
                "on_date <= current_date AND on_date NOT BETWEEN start_date AND end_date",
                "date_achieved",
                "outside_period",
                "format('%%s is outside period %%L (%%s to %%s)', "
                "on_date, period, start_date, end_date)",
            ),
            # Every repeat after the first is reported, naming the line it repeats.
            (
                "line <> first_line",
                "participant_id",
                "duplicate_in_file",
                "format('participant already listed for metric %%L and period %%L on line %%s', "
                "metric, period, first_line)",
            ),
            (
                "recorded_in IS NOT NULL",
                "participant_id",
                "duplicate_in_database",
                "format('participant already recorded for metric %%L and period %%L "
                "(result %%s)', metric, period, recorded_in)",
            ),
        ]

    def write(self, cursor: Any, batch: ImportBatch) -> ImportSummary:
        try:
            with transaction.atomic():  # a savepoint: a refusal leaves the scan below possible
                result_ids = self._create_results(batch)
                if result_ids is None or self._insert_records(cursor, batch) != self.staged:
                    raise _Refused
            return ImportSummary("participants", self.staged, batch.pk, result_ids)
        except (_Refused, DatabaseError):
            pass  # a bad reference, date or duplicate: the full scan names every row
        errors, total = self.detailed_errors(cursor)
        if not total:
            errors = [RowError(0, "", "rejected", "The database refused the file.")]
            total = 1
        raise ImportRejected(errors, total)

    def _create_results(self, batch: ImportBatch) -> list[int] | None:
        """Create one submitted result per metric × cohort × period, valued at its count.

        Return None when a cell does not resolve (unknown code, metric not a rate card,
        cohort or period not measured): the full scan then names the rows.
        """
        from outcomes.models import Cohort, MeasurementPeriod, Metric

        metrics = {
            m.code: m
            for m in Metric.objects.filter(programme=self.programme).prefetch_related(
                "cohorts", "periods"
            )
        }
        cohorts = {c.code: c for c in Cohort.objects.filter(programme=self.programme)}
        periods = {p.code: p for p in MeasurementPeriod.objects.filter(programme=self.programme)}
        results = []
        for (metric_code, cohort_code, period_code), (_number, count) in sorted(self.cells.items()):
            metric = metrics.get(metric_code)
            cohort = cohorts.get(cohort_code)
            period = periods.get(period_code)
            if (
                metric is None
                or cohort is None
                or period is None
                or metric.mechanism_kind != "rate_card"
                or cohort not in metric.cohorts.all()
                or period not in metric.periods.all()
            ):
                return None
            results.append(
                Result(
                    programme=self.programme,
                    metric=metric,
                    cohort=cohort,
                    period=period,
                    stage=self.stage,
                    value=count,
                    from_participants=True,
                    batch=batch,
                    submitted_by=self.user,
                    submitted_at=timezone.now(),
                )
            )
        created = Result.objects.bulk_create(results)
        self.cell_rows = [
            (
                self.cells[codes][0],
                r.pk,
                r.metric_id,
                r.cohort_id,
                r.period_id,
                r.period.start_date,
                r.period.end_date,
            )
            for codes, r in zip(sorted(self.cells), created, strict=True)
        ]
        return [r.pk for r in created]

    def _insert_records(self, cursor: Any, batch: ImportBatch) -> int:
        # The few cells of the file map their numbers to ids in a small table: the big
        # insert is one hash join on an integer. Rows go in sorted by pseudonym, so the
        # unique B-tree (metric, period, pseudonym) is filled leaf after leaf instead of at
        # random (a file with several metric x period cells fills one run per cell). The
        # sort has one key, in the "C" collation: it can use abbreviated keys and memcmp
        # (sorting on metric and period first was 4-5 s of a million-row import); for hex
        # text "C" order is the column's order. work_mem keeps that sort in memory.
        cursor.execute(
            "CREATE TEMP TABLE import_results (cell int, result_id bigint, metric_id bigint, "
            "cohort_id bigint, period_id bigint, start_date date, end_date date) ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY import_results FROM STDIN") as copy:
            for row in self.cell_rows:
                copy.write_row(row)
        # Without statistics the planner takes the few cells for a thousand and sorts the
        # million staged rows for a merge join (half a second); counted, it hashes them.
        cursor.execute("ANALYZE import_results")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # on_date is NULL for a text that is not a YYYY-MM-DD date (checked while reading);
        # such a row, or one outside its period or in the future, is not inserted: the
        # count falls short and the full scan names every bad row.
        cursor.execute(
            """
            INSERT INTO outcomes_participant_record
                (result_id, metric_id, cohort_id, period_id, pseudonym, achieved_on)
            SELECT k.result_id, k.metric_id, k.cohort_id, k.period_id, s.pseudonym, s.on_date
            FROM import_staging s JOIN import_results k ON k.cell = s.cell
            WHERE s.on_date BETWEEN k.start_date AND LEAST(k.end_date, current_date)
            ORDER BY s.pseudonym COLLATE "C"
            """
        )
        return cursor.rowcount


class _ResultImporter(_Importer):
    staging_columns = (
        "metric",
        "cohort",
        "period",
        "stage",
        "value",
        "comparison_value",
        "sample_size",
        "comparison_sample_size",
    )

    def __init__(
        self, programme: Programme, user: User, decimal_comma: bool, errors: _Errors
    ) -> None:
        super().__init__(programme, user, errors)
        self.decimal_comma = decimal_comma

    def stage_rows(
        self, cursor: Any, text: _Lines, header: _Header, progress: Progress | None
    ) -> None:
        self._positions = [header.index.get(c) for c in self.staging_columns]
        super().stage_rows(cursor, text, header, progress)

    def transform(self, line: int, row: list[str], header: _Header) -> list[str] | None:
        values = ["" if at is None else row[at].strip() for at in self._positions]
        if self.decimal_comma:
            for i in (4, 5):
                values[i] = values[i].replace(",", ".")
        return values

    def _checked_table(self, cursor: Any) -> None:
        cursor.execute(
            f"""
            CREATE TEMP TABLE checked ON COMMIT DROP AS
            SELECT s.*, m.id AS metric_id, c.id AS cohort_id, p.id AS period_id,
                   m.unit, c.planned_size,
                   mc.metric_id IS NOT NULL AS cohort_ok, mp.metric_id IS NOT NULL AS period_ok,
                   CASE WHEN outcomes_is_decimal(s.value) THEN s.value::numeric END AS number,
                   CASE WHEN outcomes_is_decimal(s.comparison_value)
                        THEN s.comparison_value::numeric END AS comparison,
                   min(s.line) OVER (PARTITION BY s.metric, s.cohort, s.period, s.stage)
                       AS first_line,
                   -- A live result (submitted, or verified and not superseded) for the same
                   -- cell and stage: the file would double it. Amend a verified one instead.
                   (SELECT min(r.id) FROM outcomes_result r
                    LEFT JOIN outcomes_result_decision d ON d.result_id = r.id
                    WHERE r.programme_id = %(programme)s AND r.metric_id = m.id
                      AND r.cohort_id = c.id AND r.period_id = p.id AND r.stage = s.stage
                      AND d.decision IS DISTINCT FROM 'rejected' AND NOT EXISTS (
                          SELECT 1 FROM outcomes_result a JOIN outcomes_result_decision ad
                          ON ad.result_id = a.id AND ad.decision = 'verified'
                          WHERE a.amends_id = r.id)) AS live_result
            FROM import_staging s {_REFERENCES}
            """,  # noqa: S608 - only the constant joins are formatted in
            self._params(),
        )

    def _checks(self) -> list[tuple[str, str, str, str]]:
        hint = "" if self.decimal_comma else " (for a decimal comma, declare it on import)"
        return [
            *_REFERENCE_CHECKS,
            (
                "stage NOT IN ('interim', 'final')",
                "stage",
                "bad_stage",
                "format('stage %%L: use interim or final', stage)",
            ),
            ("value = ''", "value", "required", "'value is empty'"),
            *number_checks("value", hint),
            ("number < 0", "value", "negative", "format('%%s is negative', number)"),
            *number_checks("comparison_value", hint),
            (
                "comparison < 0",
                "comparison_value",
                "negative",
                "format('%%s is negative', comparison)",
            ),
            *count_checks("sample_size"),
            *count_checks("comparison_sample_size"),
            *plausibility_checks(),
            (
                "line <> first_line",
                "metric",
                "duplicate_in_file",
                "format('same metric, cohort, period and stage as line %%s', first_line)",
            ),
            (
                "live_result IS NOT NULL",
                "metric",
                "duplicate_in_database",
                "format('result %%s already exists for this metric, cohort, period and stage; "
                "amend it instead', live_result)",
            ),
        ]

    def write(self, cursor: Any, batch: ImportBatch) -> ImportSummary:
        # Aggregate files are small: check everything first, then insert in one statement.
        errors, total = self.detailed_errors(cursor)
        if total:
            raise ImportRejected(errors, total)
        cursor.execute(
            """
            INSERT INTO outcomes_result
                (programme_id, metric_id, cohort_id, period_id, stage, value, comparison_value,
                 sample_size, comparison_sample_size, note, amendment_reason, from_participants,
                 batch_id, submitted_by_id, submitted_at)
            SELECT %(programme)s, metric_id, cohort_id, period_id, stage, number, comparison,
                   NULLIF(sample_size, '')::int, NULLIF(comparison_sample_size, '')::int,
                   '', '', false, %(batch)s, %(user)s, now()
            FROM checked ORDER BY line
            RETURNING id
            """,
            {**self._params(), "batch": batch.pk, "user": self.user.pk},
        )
        ids = [row[0] for row in cursor.fetchall()]
        return ImportSummary("results", len(ids), batch.pk, ids)
