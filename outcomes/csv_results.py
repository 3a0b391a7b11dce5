"""Import aggregate results: one row per metric, cohort and period, checked in SQL."""

from typing import Any

from outcomes.csv_checks import (
    count_checks,
    mechanism_checks,
    number_checks,
    plausibility_checks,
)
from outcomes.csv_frame import REFERENCE_CHECKS, REFERENCES, Importer, ImportSummary, Progress
from outcomes.csv_reading import Header, ImportRejected, Lines, ReadErrors
from outcomes.models import ImportBatch
from sib.models import Programme, User
from sib.user_text import POSTGRES_REFUSED

# A row that is a second result for its cell, allowed neither as a final after interim
# results only nor declared additional (the interim-after-final case is its own check).
_SECOND = (
    "NOT additional AND (earlier_line IS NOT NULL OR live_result IS NOT NULL) "
    "AND NOT (stage = 'final' AND earlier_final IS NULL AND live_final IS NULL) "
    "AND NOT (stage = 'interim' AND (earlier_final IS NOT NULL OR live_aggregate_final "
    "IS NOT NULL))"
)


class ResultImporter(Importer):
    staging_columns = (
        "metric",
        "cohort",
        "period",
        "stage",
        "value",
        "comparison_value",
        "sample_size",
        "comparison_sample_size",
        "additional_reason",
    )

    def __init__(
        self, programme: Programme, user: User, decimal_comma: bool, errors: ReadErrors
    ) -> None:
        super().__init__(programme, user, errors)
        self.decimal_comma = decimal_comma

    def stage_rows(
        self, cursor: Any, text: Lines, header: Header, progress: Progress | None
    ) -> None:
        self._positions = [header.index.get(c) for c in self.staging_columns]
        super().stage_rows(cursor, text, header, progress)

    def transform(self, line: int, row: list[str], header: Header) -> list[str] | None:
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
                   m.unit, m.mechanism->>'kind' AS kind, c.planned_size,
                   mc.metric_id IS NOT NULL AS cohort_ok, mp.metric_id IS NOT NULL AS period_ok,
                   CASE WHEN outcomes_is_decimal(s.value) THEN s.value::numeric END AS number,
                   CASE WHEN outcomes_is_decimal(s.comparison_value)
                        THEN s.comparison_value::numeric END AS comparison,
                   s.additional_reason <> '' AS additional,
                   -- outcomes.cells, the rule a submission meets, over the cell's live
                   -- results (submitted, or verified and not superseded) and the rows
                   -- above this one in the file: the first of each, and of its finals.
                   min(s.line) OVER earlier AS earlier_line,
                   min(s.line) FILTER (WHERE s.stage = 'final') OVER earlier AS earlier_final,
                   live.first AS live_result, live.final AS live_final,
                   live.aggregate_final AS live_aggregate_final
            FROM import_staging s {REFERENCES}
            LEFT JOIN LATERAL (
                SELECT min(r.id) AS first, min(r.id) FILTER (WHERE r.stage = 'final') AS final,
                       min(r.id) FILTER (WHERE r.stage = 'final' AND NOT r.from_participants)
                           AS aggregate_final
                FROM outcomes_result r
                LEFT JOIN outcomes_result_decision d ON d.result_id = r.id
                WHERE r.metric_id = m.id AND r.cohort_id = c.id AND r.period_id = p.id
                  AND d.decision IS DISTINCT FROM 'rejected' AND NOT EXISTS (
                      SELECT 1 FROM outcomes_result a JOIN outcomes_result_decision ad
                      ON ad.result_id = a.id AND ad.decision = 'verified'
                      WHERE a.amends_id = r.id)
            ) live ON true
            WINDOW earlier AS (PARTITION BY s.metric, s.cohort, s.period ORDER BY s.line
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
            """,  # noqa: S608 - only the constant joins are formatted in
            self._params(),
        )

    def _checks(self) -> list[tuple[str, str, str, str]]:
        hint = "" if self.decimal_comma else " (for a decimal comma, declare it on import)"
        return [
            *REFERENCE_CHECKS,
            (
                "stage NOT IN ('interim', 'final')",
                "stage",
                "bad_stage",
                "format('stage %%L: use interim or final', stage)",
            ),
            ("value = ''", "value", "required", "'value is empty'"),
            (
                f"additional_reason ~ '{POSTGRES_REFUSED}'",
                "additional_reason",
                "control_character",
                "'additional_reason contains an invisible control character (a bidi "
                "control such as U+202E, or another control character): remove it'",
            ),
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
            *mechanism_checks(),
            # outcomes.cells: an interim beside a final is refused, declared or not; any
            # other second result for a cell needs a reason in additional_reason, unless it
            # is a final after interim results only.
            (
                "stage = 'interim' AND (earlier_final IS NOT NULL OR live_aggregate_final "
                "IS NOT NULL)",
                "stage",
                "interim_after_final",
                "format('an interim result beside the final one (%%s) would never count; "
                "amend the final instead', coalesce('line ' || earlier_final, "
                "'result ' || live_aggregate_final))",
            ),
            (
                f"{_SECOND} AND earlier_line IS NOT NULL",
                "metric",
                "duplicate_in_file",
                "format('same metric, cohort and period as line %%s: give an "
                "additional_reason to count both', earlier_line)",
            ),
            (
                f"{_SECOND} AND earlier_line IS NULL",
                "metric",
                "duplicate_in_database",
                "format('result %%s already exists for this metric, cohort and period; amend "
                "it, or give an additional_reason to count both', live_result)",
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
                 additional, additional_reason, batch_id, submitted_by_id, submitted_at)
            SELECT %(programme)s, metric_id, cohort_id, period_id, stage, number, comparison,
                   NULLIF(sample_size, '')::int, NULLIF(comparison_sample_size, '')::int,
                   '', '', false, additional,
                   -- As sib.user_text: newline line ends, NFC.
                   normalize(regexp_replace(additional_reason, E'\\r\\n?', E'\\n', 'g'), NFC),
                   %(batch)s, %(user)s, now()
            FROM checked ORDER BY line
            RETURNING id
            """,
            {**self._params(), "batch": batch.pk, "user": self.user.pk},
        )
        ids = [row[0] for row in cursor.fetchall()]
        return ImportSummary("results", len(ids), batch.pk, ids)
