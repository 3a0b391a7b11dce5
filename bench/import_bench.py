"""Bench the participant CSV import against PostgreSQL's own COPY of the same file.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sib_bench \\
        .venv/bin/python bench/import_bench.py [--rows 1000000]

Generates a participant CSV (unique ids, three cohorts, three past periods), then in one run:
1. raw: COPY of the file, streamed from the client like psql's \\copy, into a plain
   table of text columns (no index, no constraint);
2. import: `results_import` of the same file into a fresh programme: pseudonymise,
   COPY into staging, set-based checks, INSERT into the indexed, constrained table.
Prints rows/s for both and their ratio (goal: import >= 0.5 x raw). With --profile, also
prints the import's phases: reading + pseudonymising + COPY to staging, then each SQL
statement with its duration.

It writes a new bench programme each run and its rows stay (they are insert-only): point
it at a scratch database, migrated first (`manage.py migrate`).
"""

import argparse
import contextlib
import datetime
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sib.settings")

import django

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from outcomes import services  # noqa: E402
from outcomes.csv_import import results_import  # noqa: E402
from sib.models import Membership, Programme, User  # noqa: E402

PERIODS = (
    ("2025-h1", datetime.date(2025, 1, 1), datetime.date(2025, 6, 30)),
    ("2025-h2", datetime.date(2025, 7, 1), datetime.date(2025, 12, 31)),
    ("2026-h1", datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)),
)
COHORTS = ("c1", "c2", "c3")


def generate(path: Path, rows: int) -> None:
    dates = [
        [(start + datetime.timedelta(days=d)).isoformat() for d in range(0, 180, 7)]
        for _code, start, _end in PERIODS
    ]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("participant_id,metric,cohort,period,date_achieved\n")
        lines = []
        for i in range(rows):
            p = i % len(PERIODS)
            day = dates[p][i % len(dates[p])]
            lines.append(f"PRV-{i:08d},in-work-6m,{COHORTS[i % 3]},{PERIODS[p][0]},{day}\n")
            if len(lines) == 100_000:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))


def setup_programme() -> tuple[Programme, User]:
    tag = uuid.uuid4().hex[:8]
    manager = User.objects.create(username=f"bench-manager-{tag}")
    evaluator = User.objects.create(username=f"bench-evaluator-{tag}")
    programme = Programme.objects.create(
        name=f"Import bench {tag}",
        slug=f"import-bench-{tag}",
        currency="EUR",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2030, 12, 31),
        contract_cap=10**12,
        status="active",
    )
    Membership.objects.create(user=manager, programme=programme, role="fund_manager")
    Membership.objects.create(user=evaluator, programme=programme, role="evaluator")
    for code in COHORTS:
        services.cohort_create(programme=programme, code=code, name=code)
    for code, start, end in PERIODS:
        services.period_create(
            programme=programme, code=code, name=code, start_date=start, end_date=end
        )
    services.metric_create(
        programme=programme,
        code="in-work-6m",
        name="In work at 6 months",
        definition="In paid work six months after leaving the programme.",
        unit="participant_outcome",
        mechanism={"kind": "rate_card", "price": 300_000},
        cohorts=list(COHORTS),
        periods=[code for code, _s, _e in PERIODS],
    )
    return programme, evaluator


def raw_copy(path: Path) -> float:
    """Time a client-side COPY of the file into a plain table, as psql's \\copy does."""
    db = settings.DATABASES["default"]
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=db["NAME"],
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    with psycopg.connect(conninfo) as conn, conn.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE raw_copy (participant_id text, metric text, cohort text, "
            "period text, date_achieved text)"
        )
        started = time.perf_counter()
        with (
            path.open("rb") as source,
            cursor.copy("COPY raw_copy FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            while block := source.read(1 << 16):
                copy.write(block)
        conn.commit()
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM raw_copy")
        assert cursor.fetchone()[0] > 0
    return elapsed


class Profile:
    """Time the import's phases: its progress calls and every SQL statement it runs."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.last = self.started
        self.lines: list[tuple[float, str]] = []

    def mark(self, what: str) -> None:
        now = time.perf_counter()
        self.lines.append((now - self.last, what))
        self.last = now

    def progress(self, stage: str, rows: int) -> None:
        if stage != "reading":
            self.mark(f"[{stage}] {rows:,} rows")

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.mark("(python between statements)")
        try:
            return execute(sql, params, many, context)
        finally:
            self.mark(" ".join(str(sql).split())[:90])

    def report(self) -> None:
        print("profile (seconds):")
        for seconds, what in self.lines:
            if seconds >= 0.005:
                print(f"  {seconds:7.3f}  {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--profile", action="store_true", help="print the import's phases")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sib-import-bench-") as tmp:
        path = Path(tmp) / "participants.csv"
        started = time.perf_counter()
        generate(path, args.rows)
        size = path.stat().st_size
        print(
            f"generated {args.rows:,} rows ({size / 1e6:.1f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )

        raw = raw_copy(path)
        programme, evaluator = setup_programme()
        connection.close()
        profile = Profile() if args.profile else None
        wrapper = connection.execute_wrapper(profile) if profile else contextlib.nullcontext()
        started = time.perf_counter()
        with path.open("rb") as stream, wrapper:
            if profile:
                profile.started = profile.last = started
            summary = results_import(
                programme=programme,
                user=evaluator,
                stream=stream,
                filename=path.name,
                progress=profile.progress if profile else None,
            )
        imported = time.perf_counter() - started
        assert summary.rows == args.rows, summary

    if profile:
        profile.report()
    raw_rate, import_rate = args.rows / raw, args.rows / imported
    print(f"raw COPY (plain table)  {raw:7.2f} s  {raw_rate:12,.0f} rows/s")
    print(f"results_import          {imported:7.2f} s  {import_rate:12,.0f} rows/s")
    verdict = "meets" if import_rate >= 0.5 * raw_rate else "misses"
    print(f"ratio {import_rate / raw_rate:.2f} x raw COPY ({verdict} the 0.5 x goal)")


if __name__ == "__main__":
    main()
