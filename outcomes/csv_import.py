"""Bulk import of results and participant records from CSV: all or nothing, streamed.

Two kinds of file, told apart by their header (docs/results-csv.md):
- participant records: participant_id, metric, cohort, period, date_achieved
- aggregate results:   metric, cohort, period, stage, value
                       [, comparison_value, sample_size, comparison_sample_size]

The pipeline, chosen so that a million rows cost little more than PostgreSQL's own COPY:
1. Python reads the file once, as a stream: UTF-8 with or without BOM, `,` or `;`; it
   refuses identifier-like columns from the header alone, checks each row's width and
   replaces the provider's participant id by its pseudonym (the raw id never reaches the
   database, not even the staging table).
2. The rows are streamed with COPY into a TEMP staging table (dropped at commit).
3. Validation is set-based SQL over the staging table: joins to metrics, cohorts and
   periods, text tests before casts, duplicates in the file and against the database.
4. One INSERT ... SELECT writes the rows. For participant files the insert is tried
   first and the full error scan runs only if it did not take every row: the unique
   constraint and the joins already refuse every bad row, and the happy path then reads
   the staging table once.
Any error rolls the whole transaction back; the report lists every bad row (line,
column, rule), the first MAX_REPORTED of them plus the total.
"""

import codecs
import csv
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from outcomes.models import ImportBatch, Result, Stage
from outcomes.pseudonyms import Pseudonymiser
from sib.models import Programme, User

MAX_REPORTED = 1000
MAX_LINE_CHARS = 4096
_COPY_BATCH = 10_000
_READ_BLOCK = 1 << 16
_LOCK_NAMESPACE = 0x0C5F  # (namespace, programme id): one import per programme at a time

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


class _BadEncoding(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _decoded_lines(raw: IO[bytes], digest: Any) -> Iterator[str]:
    """Yield the file's lines decoded as strict UTF-8 (BOM dropped), hashing the bytes.

    Decoding here rather than through io.TextIOWrapper lets an encoding error name its
    line: the lines before it are counted, and so are the newlines before the bad byte.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    pending = ""
    lines_done = 0
    first = True
    while block := raw.read(_READ_BLOCK):
        digest.update(block)
        try:
            text = decoder.decode(block)
        except UnicodeDecodeError as exc:
            before = block[: exc.start].count(b"\n") if isinstance(exc.object, bytes) else 0
            raise _BadEncoding(lines_done + pending.count("\n") + before + 1) from None
        if first:
            text = text.removeprefix("\ufeff")
            first = False
        parts = (pending + text).split("\n")
        pending = parts.pop()
        lines_done += len(parts)
        for part in parts:
            yield part + "\n"
    if pending:
        yield pending


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


def _read_header(lines: Iterator[str], errors: _Errors) -> _Header | None:
    try:
        first = next(lines, "")
    except _BadEncoding as exc:
        errors.add(exc.line, "", "encoding", "The file is not UTF-8 (save it as CSV UTF-8).")
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
    names = [
        n.strip().strip('"').strip().lower() for n in next(csv.reader([first], delimiter=delimiter))
    ]
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


def _rows(
    lines: Iterator[str], header: _Header, errors: _Errors
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields) for rows of the right width; record the others."""
    csv.field_size_limit(MAX_LINE_CHARS)
    reader = csv.reader(lines, delimiter=header.delimiter, strict=True)
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except _BadEncoding as exc:
            errors.add(exc.line, "", "encoding", "Not UTF-8 from this line on; reading stopped.")
            return
        except csv.Error as exc:
            rule = "line_too_long" if "field larger" in str(exc) else "csv_syntax"
            errors.add(reader.line_num + 1, "", rule, f"{exc}; reading stopped.")
            return
        line = reader.line_num + 1  # the header was read before the reader started
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank lines, e.g. a trailing one
        if len(row) != header.width:
            errors.add(
                line,
                "",
                "field_count",
                f"{len(row)} fields where the header has {header.width} (is the separator "
                f"{header.delimiter!r} used inside a value without quotes?).",
            )
            continue
        if sum(map(len, row)) > MAX_LINE_CHARS:
            errors.add(line, "", "line_too_long", f"Longer than {MAX_LINE_CHARS} characters.")
            continue
        yield line, row


def results_import(
    *,
    programme: Programme,
    user: User,
    stream: IO[bytes],
    filename: str = "",
    decimal_comma: bool = False,
    stage: str = Stage.INTERIM,
    progress: Progress | None = None,
) -> ImportSummary:
    """Load a CSV of results or participant records, all or nothing (ImportRejected)."""
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
    text = _decoded_lines(stream, digest)
    errors = _Errors()
    header = _read_header(text, errors)
    if header is None:
        raise ImportRejected(errors.kept, errors.total)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, programme.pk])
        # ON COMMIT DROP is not enough when the caller's transaction spans two imports.
        cursor.execute("DROP TABLE IF EXISTS import_staging, import_cells, checked, import_errors")
        if header.kind == "participants":
            importer: _Importer = _ParticipantImporter(programme, user, stage, errors)
        else:
            importer = _ResultImporter(programme, user, decimal_comma, errors)
        importer.stage_rows(cursor, text, header, progress)
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

    def __init__(self, programme: Programme, user: User, errors: _Errors) -> None:
        self.programme = programme
        self.user = user
        self.errors = errors
        self.staged = 0

    def transform(self, line: int, row: list[str], header: _Header) -> list[str] | None:
        raise NotImplementedError

    def stage_rows(
        self, cursor: Any, text: Iterator[str], header: _Header, progress: Progress | None
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
        """Run every SQL check over the staging table; return the first errors and the total."""
        cursor.execute(
            "CREATE TEMP TABLE import_errors (line int, col text, rule text, message text) "
            "ON COMMIT DROP"
        )
        self._checked_table(cursor)
        for sql in self._checks():
            cursor.execute(f"INSERT INTO import_errors {sql}", self._params())
        cursor.execute("SELECT count(*) FROM import_errors")
        total = cursor.fetchone()[0]
        cursor.execute(
            "SELECT line, col, rule, message FROM import_errors ORDER BY line, col LIMIT %s",
            [MAX_REPORTED],
        )
        return [RowError(*row) for row in cursor.fetchall()], total

    def _params(self) -> dict[str, Any]:
        return {"programme": self.programme.pk}

    def _checked_table(self, cursor: Any) -> None:
        raise NotImplementedError

    def _checks(self) -> list[str]:
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
    "SELECT line, 'metric', 'required', 'metric is empty' FROM checked WHERE metric = ''",
    "SELECT line, 'metric', 'unknown_metric', format('unknown metric %%L', metric) "
    "FROM checked WHERE metric <> '' AND metric_id IS NULL",
    "SELECT line, 'cohort', 'required', 'cohort is empty' FROM checked WHERE cohort = ''",
    "SELECT line, 'cohort', 'unknown_cohort', format('unknown cohort %%L', cohort) "
    "FROM checked WHERE cohort <> '' AND cohort_id IS NULL",
    "SELECT line, 'cohort', 'cohort_not_for_metric', "
    "format('metric %%L is not measured for cohort %%L', metric, cohort) "
    "FROM checked WHERE metric_id IS NOT NULL AND cohort_id IS NOT NULL AND NOT cohort_ok",
    "SELECT line, 'period', 'required', 'period is empty' FROM checked WHERE period = ''",
    "SELECT line, 'period', 'unknown_period', format('unknown period %%L', period) "
    "FROM checked WHERE period <> '' AND period_id IS NULL",
    "SELECT line, 'period', 'period_not_for_metric', "
    "format('metric %%L is not measured in period %%L', metric, period) "
    "FROM checked WHERE metric_id IS NOT NULL AND period_id IS NOT NULL AND NOT period_ok",
]


class _ParticipantImporter(_Importer):
    staging_columns = ("pseudonym", "metric", "cohort", "period", "achieved")

    def __init__(self, programme: Programme, user: User, stage: str, errors: _Errors) -> None:
        super().__init__(programme, user, errors)
        self.stage = stage
        self.pseudonymise = Pseudonymiser(programme_id=programme.pk)
        self.cells: dict[tuple[str, str, str], int] = {}

    def stage_rows(
        self, cursor: Any, text: Iterator[str], header: _Header, progress: Progress | None
    ) -> None:
        index = header.index
        self._positions = [index[c] for c in ("participant_id", "metric", "cohort", "period")]
        self._date = index["date_achieved"]
        super().stage_rows(cursor, text, header, progress)

    def transform(self, line: int, row: list[str], header: _Header) -> list[str] | None:
        pid_at, metric_at, cohort_at, period_at = self._positions
        participant = row[pid_at].strip()
        if not participant:
            self.errors.add(line, "participant_id", "required", "participant_id is empty")
            return None
        cell = (row[metric_at].strip(), row[cohort_at].strip(), row[period_at].strip())
        self.cells[cell] = self.cells.get(cell, 0) + 1
        return [self.pseudonymise(participant), *cell, row[self._date].strip()]

    def _checked_table(self, cursor: Any) -> None:
        cursor.execute(
            f"""
            CREATE TEMP TABLE checked ON COMMIT DROP AS
            SELECT s.*, m.id AS metric_id, m.mechanism->>'kind' AS mechanism_kind,
                   c.id AS cohort_id, p.id AS period_id, p.start_date, p.end_date,
                   mc.metric_id IS NOT NULL AS cohort_ok, mp.metric_id IS NOT NULL AS period_ok,
                   CASE WHEN outcomes_is_iso_date(s.achieved) THEN s.achieved::date END AS on_date
            FROM import_staging s {_REFERENCES}
            """,  # noqa: S608 - only the constant joins are formatted in
            self._params(),
        )

    def _checks(self) -> list[str]:
        return [
            *_REFERENCE_CHECKS,
            "SELECT line, 'metric', 'not_rate_card', format('metric %%L pays by %%s: participant "
            "records are for rate-card metrics', metric, mechanism_kind) "
            "FROM checked WHERE metric_id IS NOT NULL AND mechanism_kind <> 'rate_card'",
            "SELECT line, 'date_achieved', 'required', 'date_achieved is empty' "
            "FROM checked WHERE achieved = ''",
            "SELECT line, 'date_achieved', 'bad_date', "
            "format('%%L is not a date: write YYYY-MM-DD', achieved) "
            "FROM checked WHERE achieved <> '' AND on_date IS NULL",
            "SELECT line, 'date_achieved', 'future_date', "
            "format('%%s is in the future', on_date) FROM checked WHERE on_date > current_date",
            "SELECT line, 'date_achieved', 'outside_period', "
            "format('%%s is outside period %%L (%%s to %%s)', "
            "on_date, period, start_date, end_date) "
            "FROM checked WHERE on_date <= current_date "
            "AND on_date NOT BETWEEN start_date AND end_date",
            # Every repeat after the first is reported, naming the line it repeats.
            "SELECT line, 'participant_id', 'duplicate_in_file', "
            "format('participant already listed for metric %%L and period %%L on line %%s', "
            "metric, period, first_line) FROM ("
            "  SELECT line, metric, period, min(line) OVER (PARTITION BY metric, period, pseudonym)"
            "  AS first_line FROM checked) d WHERE line <> first_line",
            "SELECT k.line, 'participant_id', 'duplicate_in_database', "
            "format('participant already recorded for metric %%L and period %%L (result %%s)', "
            "k.metric, k.period, r.result_id) FROM checked k JOIN outcomes_participant_record r "
            "ON r.metric_id = k.metric_id AND r.period_id = k.period_id "
            "AND r.pseudonym = k.pseudonym",
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
        for (metric_code, cohort_code, period_code), count in sorted(self.cells.items()):
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
                metric_code,
                cohort_code,
                period_code,
                r.pk,
                r.metric_id,
                r.cohort_id,
                r.period_id,
                r.period.start_date,
                r.period.end_date,
            )
            for (metric_code, cohort_code, period_code), r in zip(
                sorted(self.cells), created, strict=True
            )
        ]
        return [r.pk for r in created]

    def _insert_records(self, cursor: Any, batch: ImportBatch) -> int:
        # The few cells of the file map codes to ids in a small table: the big insert is
        # then one hash join. Statistics on the staging table keep the planner from a
        # nested loop it would pick for a table it believes empty.
        cursor.execute(
            "CREATE TEMP TABLE import_cells (metric text, cohort text, period text, "
            "result_id bigint, metric_id bigint, cohort_id bigint, period_id bigint, "
            "start_date date, end_date date) ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY import_cells FROM STDIN") as copy:
            for row in self.cell_rows:
                copy.write_row(row)
        cursor.execute("ANALYZE import_staging")
        cursor.execute("ANALYZE import_cells")
        # PostgreSQL would cast 1/3/2026 or 20260301 too: only YYYY-MM-DD passes. A date
        # that is not a date makes the cast fail, and one outside its period or in the
        # future drops the row: both send the file to the full scan, which names them.
        cursor.execute(
            r"""
            INSERT INTO outcomes_participant_record
                (result_id, metric_id, cohort_id, period_id, pseudonym, achieved_on)
            SELECT k.result_id, k.metric_id, k.cohort_id, k.period_id, s.pseudonym,
                   s.achieved::date
            FROM import_staging s
            JOIN import_cells k ON k.metric = s.metric AND k.cohort = s.cohort
                 AND k.period = s.period
            WHERE s.achieved ~ '^\d{4}-\d{2}-\d{2}$'
              AND s.achieved::date BETWEEN k.start_date AND LEAST(k.end_date, current_date)
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
        self, cursor: Any, text: Iterator[str], header: _Header, progress: Progress | None
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
                   mc.metric_id IS NOT NULL AS cohort_ok, mp.metric_id IS NOT NULL AS period_ok,
                   CASE WHEN outcomes_is_decimal(s.value) THEN s.value::numeric END AS number,
                   CASE WHEN outcomes_is_decimal(s.comparison_value)
                        THEN s.comparison_value::numeric END AS comparison
            FROM import_staging s {_REFERENCES}
            """,  # noqa: S608 - only the constant joins are formatted in
            self._params(),
        )

    def _checks(self) -> list[str]:
        # Only constant text is formatted into these queries (S608): the values are bound.
        hint = "" if self.decimal_comma else " (for a decimal comma, declare it on import)"
        checks = [
            *_REFERENCE_CHECKS,
            "SELECT line, 'stage', 'bad_stage', format('stage %%L: use interim or final', stage) "
            "FROM checked WHERE stage NOT IN ('interim', 'final')",
            "SELECT line, 'value', 'required', 'value is empty' FROM checked WHERE value = ''",
            "SELECT line, 'value', 'not_a_number', "  # noqa: S608
            f"format('%%L is not a number{hint}', value) "
            "FROM checked WHERE value <> '' AND number IS NULL",
            "SELECT line, 'value', 'negative', format('%%s is negative', number) "
            "FROM checked WHERE number < 0",
            "SELECT line, 'comparison_value', 'not_a_number', "  # noqa: S608
            f"format('%%L is not a number{hint}', comparison_value) "
            "FROM checked WHERE comparison_value <> '' AND comparison IS NULL",
            "SELECT line, 'comparison_value', 'negative', format('%%s is negative', comparison) "
            "FROM checked WHERE comparison < 0",
            "SELECT line, 'sample_size', 'not_a_count', "
            "format('%%L is not a whole number of participants', sample_size) "
            "FROM checked WHERE sample_size <> '' AND NOT outcomes_is_count(sample_size)",
            "SELECT line, 'comparison_sample_size', 'not_a_count', "
            "format('%%L is not a whole number of participants', comparison_sample_size) "
            "FROM checked WHERE comparison_sample_size <> '' "
            "AND NOT outcomes_is_count(comparison_sample_size)",
            "SELECT line, 'metric', 'duplicate_in_file', "
            "format('same metric, cohort, period and stage as line %%s', first_line) FROM ("
            "  SELECT line, min(line) OVER (PARTITION BY metric, cohort, period, stage)"
            "  AS first_line FROM checked) d WHERE line <> first_line",
            # A live result (submitted, or verified and not superseded) for the same cell
            # and stage: the file would double it. Correct a verified one by amendment.
            "SELECT k.line, 'metric', 'duplicate_in_database', "
            "format('result %%s already exists for this metric, cohort, period and stage; "
            "amend it instead', r.id) FROM checked k JOIN outcomes_result r "
            "ON r.programme_id = %(programme)s AND r.metric_id = k.metric_id "
            "AND r.cohort_id = k.cohort_id AND r.period_id = k.period_id AND r.stage = k.stage "
            "LEFT JOIN outcomes_result_decision d ON d.result_id = r.id "
            "WHERE d.decision IS DISTINCT FROM 'rejected' AND NOT EXISTS ("
            "  SELECT 1 FROM outcomes_result a JOIN outcomes_result_decision ad "
            "  ON ad.result_id = a.id AND ad.decision = 'verified' WHERE a.amends_id = r.id)",
        ]
        return checks

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
