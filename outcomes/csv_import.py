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
   blocks of about COPY_BATCH lines; the server parses them while Python reads on.
3. Validation is set-based SQL over the staging table: joins to metrics, cohorts and
   periods, text tests before casts, duplicates in the file (a window) and against the
   database (a join) are computed into one table, and one scan of it emits every error.
4. One INSERT ... SELECT writes the rows. For participant files the insert is tried
   first and the full error scan runs only if it did not take every row: the unique
   constraint and the joins already refuse every bad row, and the happy path then reads
   the staging table once. The rows go in sorted by pseudonym (its 32 bytes, one key).
Where a million-row import spends its time is in docs/results-csv.md ("Speed").
Any error rolls the whole transaction back; the report lists every bad row (line,
column, rule), the first MAX_REPORTED of them plus the total.

Modules: reading and the identifier rule (outcomes.csv_reading), the staging and
checking frame (outcomes.csv_frame), participant records (outcomes.csv_participants),
aggregate results (outcomes.csv_results); this module runs one import.
"""

import hashlib
from typing import IO

from django.db import connection, transaction

from outcomes.csv_frame import Importer, ImportSummary, Progress
from outcomes.csv_participants import ParticipantImporter
from outcomes.csv_reading import (
    ImportRejected,
    Lines,
    ReadErrors,
    RowError,
    decoded_blocks,
    read_header,
)
from outcomes.csv_results import ResultImporter
from outcomes.models import ImportBatch, Stage
from sib.models import Programme, User

IMPORT_LOCK_NAMESPACE = 0x0C5F  # (namespace, programme id): one import per programme at a time


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
    text = Lines(decoded_blocks(stream, digest))
    errors = ReadErrors()
    header = read_header(text, errors)
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
            importer: Importer = ParticipantImporter(programme, user, stage, errors)
        else:
            importer = ResultImporter(programme, user, decimal_comma, errors)
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
