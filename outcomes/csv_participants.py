"""Import participant records: pseudonymise, stage by cell, insert, make the results."""

from collections.abc import Iterable
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from outcomes.cells import cell_live_results, refusal_for
from outcomes.csv_checks import implausible_cell_message
from outcomes.csv_frame import (
    COPY_BATCH,
    REFERENCE_CHECKS,
    REFERENCES,
    Importer,
    ImportSummary,
    Progress,
    Refused,
)
from outcomes.csv_reading import (
    PARTICIPANT_COLUMNS,
    Header,
    ImportRejected,
    Lines,
    ReadErrors,
    RowError,
    Unreadable,
    copy_escape,
    data_rows,
    field_count_error,
    is_iso_date,
)
from outcomes.models import Cohort, ImportBatch, MeasurementPeriod, Metric, Result
from outcomes.plausibility import plausible_limit
from outcomes.pseudonyms import ParticipantIdRefused, Pseudonymiser
from sib.clock import today
from sib.models import Programme, User

DATE_CACHE = 4096  # distinct date texts remembered while reading a participant file
# SQL of Metric.by_occurrence, for the metric `m`, as the trigger of migration 0013 reads it.
BY_OCCURRENCE = "coalesce(m.mechanism->>'payable_per_participant', '1') <> '1'"


class ParticipantImporter(Importer):
    def __init__(self, programme: Programme, user: User, stage: str, errors: ReadErrors) -> None:
        super().__init__(programme, user, errors)
        self.stage = stage
        # Read under the import lock, which programme_pseudonym_rule_set also takes.
        rule = Programme.objects.values_list("pseudonym_rule", flat=True).get(pk=programme.pk)
        self.pseudonymise = Pseudonymiser(programme_id=programme.pk, rule=rule)
        # (metric, cohort, period) codes -> [cell number, rows]: a file has a handful.
        self.cells: dict[tuple[str, str, str], list[int]] = {}
        self.dates: dict[str, str] = {}  # date text -> its staged columns (_date_columns)

    def stage_rows(
        self, cursor: Any, text: Lines, header: Header, progress: Progress | None
    ) -> None:
        """Stream (line, cell number, date, bad date text, pseudonym) rows into staging.

        The codes of a row are replaced by the number of their cell (import_cells maps it
        back), so each staged row is small and the final insert joins on one integer.
        The date is checked here (YYYY-MM-DD, a real day) once per distinct text: a good
        one is staged typed, for COPY to parse while Python reads on, and a bad one as its
        text, for the error report. The file is read a block at a time: a plain block
        (most of them; see plain_lines) skips the per-line checks and strip().
        """
        cursor.execute(
            "CREATE TEMP TABLE import_staging (line int, cell int, on_date date, achieved text,"
            " pseudonym bytea) ON COMMIT DROP"
        )
        delimiter = header.delimiter
        # "line\tcell\ton_date\tachieved\t\\x": the pseudonym follows, in hex for bytea
        heads: list[str] = []
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
                except Unreadable as exc:
                    self.errors.add(exc.line, "", exc.rule, exc.message)
                    break
                if plain is not None:
                    first = text.number - len(plain) + 1
                    rows = [line.split(delimiter) for line in plain]
                    numbered = zip(range(first, text.number + 1), rows, strict=True)
                    self._take(numbered, header, heads, ids)
                elif not text.done:
                    careful = data_rows(text, header, self.errors, to_block_end=True)
                    stripped = ((line, [v.strip() for v in row]) for line, row in careful)
                    self._take(stripped, header, heads, ids)
                if len(ids) >= COPY_BATCH:
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
        header: Header,
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
                field_count_error(errors, line, row, header)
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
            add_head(f"{line}\t{cell[0]}\t{columns}\t\\\\x")
            add_id(participant)

    def check_counts(self) -> None:
        self._check_cells()
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

    def _check_cells(self) -> None:
        """Refuse a cell whose live results do not take a participant file (outcomes.cells):
        beside participant-backed results it adds other people; beside an aggregate count
        only as a final after interims."""
        ids = {
            (metric, cohort, period): (m, c, p)
            for metric, m, cohort, c, period, p in Result.objects.filter(
                programme=self.programme, metric__code__in={codes[0] for codes in self.cells}
            )
            .values_list(
                "metric__code",
                "metric_id",
                "cohort__code",
                "cohort_id",
                "period__code",
                "period_id",
            )
            .distinct()
        }
        for codes in sorted(self.cells):
            if codes not in ids:
                continue  # no result in that cell yet (or codes the checks refuse)
            metric_id, cohort_id, period_id = ids[codes]
            live = cell_live_results(metric_id=metric_id, cohort_id=cohort_id, period_id=period_id)
            hit = refusal_for(live, stage=self.stage, from_participants=True, additional=False)
            if hit is not None:
                metric, cohort, period = codes
                self.errors.add(
                    0,
                    "metric",
                    "duplicate_in_database",
                    f"result {hit.pk} already exists for metric {metric!r}, cohort "
                    f"{cohort!r} and period {period!r}: participant records go beside "
                    "participant records, or as a final after interim results only",
                )

    def _date_columns(self, text: str) -> str:
        """Return the staged (on_date, achieved) of a date text: the date, or the bad text.

        Distinct texts are few in a file: the answer is cached (a bounded number of them).
        """
        columns = f"{text}\t\\N" if is_iso_date(text) else f"\\N\t{copy_escape(text)}"
        if len(self.dates) < DATE_CACHE and len(text) <= 16:
            self.dates[text] = columns
        return columns

    def _checked_table(self, cursor: Any) -> None:
        cursor.execute(
            f"""
            CREATE TEMP TABLE checked ON COMMIT DROP AS
            SELECT s.*, m.id AS metric_id, m.mechanism->>'kind' AS mechanism_kind,
                   c.id AS cohort_id, p.id AS period_id, p.start_date, p.end_date,
                   mc.metric_id IS NOT NULL AS cohort_ok, mp.metric_id IS NOT NULL AS period_ok,
                   min(s.line) OVER (
                       PARTITION BY s.metric, s.period, s.pseudonym,
                                    CASE WHEN {BY_OCCURRENCE} THEN s.on_date END
                   ) AS first_line,
                   r.result_id AS recorded_in
            FROM (SELECT s.line, s.pseudonym, k.metric, k.cohort, k.period, s.on_date,
                         s.achieved
                  FROM import_staging s JOIN import_cells k ON k.cell = s.cell) s
            {REFERENCES}
            LEFT JOIN outcomes_participant_record r ON r.metric_id = m.id
                 AND r.period_id = p.id AND r.pseudonym = s.pseudonym
                 AND r.occurrence IS NOT DISTINCT FROM
                     CASE WHEN {BY_OCCURRENCE} THEN s.on_date END
            """,  # noqa: S608 - only the constant joins are formatted in
            self._params(),
        )

    def _checks(self) -> list[tuple[str, str, str, str]]:
        return [
            *REFERENCE_CHECKS,
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
                "on_date > %(today)s::date",
                "date_achieved",
                "future_date",
                "format('%%s is in the future', on_date)",
            ),
            (
                "on_date <= %(today)s::date AND on_date NOT BETWEEN start_date AND end_date",
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
                    raise Refused
            return ImportSummary("participants", self.staged, batch.pk, result_ids)
        except (Refused, DatabaseError):
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
                r.metric.by_occurrence,
            )
            for codes, r in zip(sorted(self.cells), created, strict=True)
        ]
        return [r.pk for r in created]

    def _insert_records(self, cursor: Any, batch: ImportBatch) -> int:
        # The few cells of the file map their numbers to ids in a small table: the big
        # insert is one hash join on an integer. Rows go in sorted by pseudonym, so the
        # unique B-tree (metric, period, pseudonym, occurrence) is filled leaf after leaf
        # instead of at random (a file with several metric x period cells fills one run per
        # cell). The sort has one key, the 32-byte pseudonym, compared by memcmp (sorting
        # on metric and period first was 4-5 s of a million-row import). work_mem keeps
        # that sort in memory.
        cursor.execute(
            "CREATE TEMP TABLE import_results (cell int, result_id bigint, metric_id bigint, "
            "cohort_id bigint, period_id bigint, start_date date, end_date date, "
            "by_occurrence boolean) ON COMMIT DROP"
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
                (result_id, metric_id, cohort_id, period_id, pseudonym, achieved_on,
                 occurrence)
            SELECT k.result_id, k.metric_id, k.cohort_id, k.period_id, s.pseudonym, s.on_date,
                   CASE WHEN k.by_occurrence THEN s.on_date END
            FROM import_staging s JOIN import_results k ON k.cell = s.cell
            WHERE s.on_date BETWEEN k.start_date AND LEAST(k.end_date, %(today)s::date)
            ORDER BY s.pseudonym
            """,
            {"today": today()},
        )
        return cursor.rowcount
