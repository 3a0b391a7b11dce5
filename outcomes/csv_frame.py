"""The frame every CSV import runs in: staging rows with COPY, checking them in SQL.

An `Importer` streams its rows into a TEMP staging table, then either writes them in
one INSERT ... SELECT or, when something is wrong, computes every error set-based
(`detailed_errors`). The participant and aggregate importers fill in the details
(outcomes.csv_participants, outcomes.csv_results).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from outcomes.csv_reading import (
    MAX_REPORTED,
    Header,
    Lines,
    ReadErrors,
    RowError,
    copy_escape,
    data_rows,
)
from outcomes.models import ImportBatch
from sib.clock import today
from sib.models import Programme, User

COPY_BATCH = 10_000


@dataclass
class ImportSummary:
    kind: str
    rows: int
    batch_id: int
    result_ids: list[int] = field(default_factory=list)


Progress = Callable[[str, int], None]


class Refused(Exception):
    """The optimistic insert did not take every staged row."""


class Importer:
    staging_columns: tuple[str, ...] = ()
    over_planned_size = False

    def __init__(self, programme: Programme, user: User, errors: ReadErrors) -> None:
        self.programme = programme
        self.user = user
        self.errors = errors
        self.staged = 0

    def transform(self, line: int, row: list[str], header: Header) -> list[str] | None:
        raise NotImplementedError

    def stage_rows(
        self, cursor: Any, text: Lines, header: Header, progress: Progress | None
    ) -> None:
        columns = ", ".join(f"{c} text" for c in self.staging_columns)
        cursor.execute(f"CREATE TEMP TABLE import_staging (line int, {columns}) ON COMMIT DROP")
        names = ", ".join(("line", *self.staging_columns))
        buffer: list[str] = []
        with cursor.cursor.copy(f"COPY import_staging ({names}) FROM STDIN") as copy:
            for line, row in data_rows(text, header, self.errors):
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
                    joined = "\t".join(copy_escape(v) for v in values)
                buffer.append(f"{line}\t{joined}\n")
                if len(buffer) >= COPY_BATCH:
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
        # "today" from the project's clock (sib.clock), never the database's current_date:
        # the rule "not in the future" must read the same date as the ledger's.
        return {"programme": self.programme.pk, "over": self.over_planned_size, "today": today()}

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
REFERENCES = """
    LEFT JOIN outcomes_metric m ON m.programme_id = %(programme)s AND m.code = s.metric
    LEFT JOIN outcomes_cohort c ON c.programme_id = %(programme)s AND c.code = s.cohort
    LEFT JOIN outcomes_period p ON p.programme_id = %(programme)s AND p.code = s.period
    LEFT JOIN outcomes_metric_cohort mc ON mc.metric_id = m.id AND mc.cohort_id = c.id
    LEFT JOIN outcomes_metric_period mp ON mp.metric_id = m.id AND mp.measurementperiod_id = p.id
"""

REFERENCE_CHECKS = [
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
