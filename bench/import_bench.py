"""Bench the participant CSV import against PostgreSQL's own COPY of the same file.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sib_bench \\
        .venv/bin/python bench/import_bench.py [--rows 1000000] [--repeat 3] [--profile]

Generates a participant CSV (unique ids, three cohorts, three past periods) and, untimed,
the floor's input (below), then, in each of --repeat rounds:
1. raw: `psql \\copy` of the file into a plain table (a new ordinary, logged table of
   text columns: no index, no constraint, no trigger), timed by psql's own \\timing; when
   psql is not installed, the same COPY streamed from Python through psycopg (COPY FROM
   STDIN, as \\copy does). The printout says which. A checkpoint first, here and
   before the floor, so that neither pays for an earlier round's dirty pages.
2. floor: the same rows already pseudonymised, checked and sorted, in PostgreSQL's binary
   COPY format, into the cheapest table that still refuses a duplicate (metric, period,
   participant) by itself: that key as its only index, a 32-byte bytea pseudonym. No
   importer keeping the rule in the database writes less.
3. import: `results_import` of the same file into a fresh programme: read, pseudonymise
   (HMAC-SHA256), COPY into staging, then one sorted INSERT into the indexed, constrained,
   triggered table (the full error scan runs only for a bad file).
Prints rows/s of all three for each round, then the best of each and their ratios to raw
and to the floor (the goal of issue 16: import >= 0.5 x the floor of the same run). On a
shared machine take the best of several rounds, and compare CPU rather than wall time.
With --profile, also prints the import's phases for its best round: reading +
pseudonymising + COPY to staging (the Python between statements), then each SQL
statement with its duration.

Figures, before and after the 32-byte pseudonym, and where the time goes:
docs/results-csv.md ("Speed").

It writes a new bench programme each round and its rows stay (they are insert-only):
point it at a scratch database, migrated first (`manage.py migrate`).
"""

import argparse
import contextlib
import datetime
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sib.settings")

import django

from sib.database import ensure_started

ensure_started()  # an entry point: the embedded PostgreSQL, unless DATABASE_URL is set

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from outcomes import services  # noqa: E402
from outcomes.csv_import import results_import  # noqa: E402
from outcomes.pseudonyms import Pseudonymiser  # noqa: E402
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


RAW_COLUMNS = "participant_id text, metric text, cohort text, period text, date_achieved text"


def _owner_params() -> dict[str, str]:
    """Connection parameters of the schema owner (DATABASE_URL), as libpq keywords."""
    db = settings.DATABASES["default"]
    owner = {**db, **{key: value for key, value in db["OWNER"].items() if value}}
    params = {
        "dbname": db["NAME"],
        "user": owner["USER"],
        "password": owner["PASSWORD"],
        "host": owner["HOST"],
        "port": str(owner["PORT"] or ""),
    }
    return {k: v for k, v in params.items() if v}


def _psql_copy(path: Path, table: str, columns: str, options: str) -> float | None:
    """Time `psql \\copy` of a file into a new table, by psql's own \\timing; None without psql.

    The table is created in its own transaction, as a user would, so the COPY is
    WAL-logged like any load (with wal_level=minimal a table created in the COPY's own
    transaction would skip the WAL, which the import cannot).
    """
    psql = shutil.which("psql")
    if not psql:
        return None
    params = _owner_params()
    env = {
        **os.environ,
        **{f"PG{k.upper()}": v for k, v in params.items() if k != "dbname"},
        "PGDATABASE": params["dbname"],
    }
    quoted = str(path).replace("'", "''")
    script = (
        f"CREATE TABLE {table} ({columns});\n"
        "\\timing on\n"
        f"\\copy {table} FROM '{quoted}' WITH ({options})\n"
        "\\timing off\n"
        f"DROP TABLE {table};\n"
    )
    done = subprocess.run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1"],
        input=script,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    times = re.findall(r"Time: ([0-9.]+) ms", done.stdout)
    assert len(times) == 1, done.stdout
    return float(times[0]) / 1000


def _psycopg_copy(path: Path, table: str, columns: str, options: str) -> float:
    """The same COPY streamed from Python (COPY FROM STDIN, as \\copy does)."""
    with psycopg.connect(psycopg.conninfo.make_conninfo(**_owner_params())) as conn:
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {table} ({columns})")
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cursor,
            path.open("rb") as source,
            cursor.copy(f"COPY {table} FROM STDIN ({options})") as copy,
        ):
            while block := source.read(1 << 16):
                copy.write(block)
        conn.commit()
        elapsed = time.perf_counter() - started
        with conn.cursor() as cursor:
            cursor.execute(f"DROP TABLE {table}")
        conn.commit()
    return elapsed


def _checkpoint() -> None:
    """Flush dirty pages first, so that no COPY pays for the previous round's writes."""
    # Without superuser or pg_checkpoint, no checkpoint: rounds vary a little more.
    with (
        psycopg.connect(psycopg.conninfo.make_conninfo(**_owner_params())) as conn,
        contextlib.suppress(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("CHECKPOINT")


def timed_copy(path: Path, columns: str, options: str) -> tuple[float, str]:
    """Time a COPY of the file into a new table: psql's \\copy, or psycopg without psql."""
    table = f"bench_copy_{uuid.uuid4().hex[:8]}"
    _checkpoint()
    seconds = _psql_copy(path, table, columns, options)
    if seconds is not None:
        return seconds, "psql \\copy"
    return _psycopg_copy(path, table, columns, options), "COPY FROM STDIN via psycopg (no psql)"


def raw_copy(path: Path) -> tuple[float, str]:
    """The issue's yardstick: the CSV file as it is, into a plain table of text columns."""
    return timed_copy(path, RAW_COLUMNS, "FORMAT csv, HEADER true")


# The cheapest table that still refuses a duplicate (metric, period, participant) by
# itself: the uniqueness rule as its only index, a 32-byte binary pseudonym, no surrogate
# key, no result or cohort column, no trigger.
FLOOR_COLUMNS = (
    "metric_id integer, period_id integer, pseudonym bytea, achieved_on date, "
    "PRIMARY KEY (metric_id, period_id, pseudonym)"
)
_PG_EPOCH = datetime.date(2000, 1, 1).toordinal()


def floor_file(source: Path, target: Path) -> None:
    """Write the floor's input: the file's rows already pseudonymised, checked and sorted.

    PostgreSQL's binary COPY format (no parsing left for the server), in key order (no
    random B-tree inserts): everything an importer must do before the COPY is done here,
    untimed. Holds the rows in memory, which the real import never does.
    """
    pseudonymise = Pseudonymiser(programme_id=0).many
    periods = {code: number for number, (code, _s, _e) in enumerate(PERIODS, start=1)}
    with source.open(encoding="utf-8") as lines:
        next(lines)
        rows = [line.rstrip("\n").split(",") for line in lines]
    keys = pseudonymise(row[0] for row in rows)
    records = sorted(
        (periods[row[3]], bytes.fromhex(key), datetime.date.fromisoformat(row[4]).toordinal())
        for row, key in zip(rows, keys, strict=True)
    )
    tuple_ = struct.Struct("!hiiiii32sii")
    with target.open("wb") as out:
        out.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0))
        for period, pseudonym, day in records:
            out.write(tuple_.pack(4, 4, 1, 4, period, 32, pseudonym, 4, day - _PG_EPOCH))
        out.write(struct.pack("!h", -1))


def floor_copy(path: Path) -> tuple[float, str]:
    """Time the floor: its pre-digested rows into the cheapest uniqueness-keeping table."""
    return timed_copy(path, FLOOR_COLUMNS, "FORMAT binary")


class Profile:
    """Time the import's phases: its progress calls and every SQL statement it runs.

    Each phase shows its wall time and, when the server is local, the CPU time its
    backend spent in it (the rest of the wall time is Python, or waiting).
    """

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.last = self.started
        self.pid = 0
        self.last_cpu: float | None = None
        self.lines: list[tuple[float, float | None, str]] = []

    def mark(self, what: str) -> None:
        now = time.perf_counter()
        server = backend_cpu(self.pid) if self.pid else None
        spent = None if server is None or self.last_cpu is None else server - self.last_cpu
        self.lines.append((now - self.last, spent, what))
        self.last, self.last_cpu = now, server

    def progress(self, stage: str, rows: int) -> None:
        if stage != "reading":
            self.mark(f"[{stage}] {rows:,} rows")

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        # COPY streams do not pass through here: reading, pseudonymising and staging
        # show as the Python time before the statement that follows them.
        self.mark("(Python between statements, with the COPY streams it feeds)")
        try:
            return execute(sql, params, many, context)
        finally:
            self.mark(" ".join(str(sql).split())[:80])

    def report(self) -> None:
        print("profile (seconds: wall, server backend CPU):")
        for seconds, server, what in self.lines:
            if seconds >= 0.005:
                cpu = "    ?" if server is None else f"{server:5.2f}"
                print(f"  {seconds:7.3f}  {cpu}  {what}")


def backend_cpu(pid: int) -> float | None:
    """CPU seconds used so far by a local server process, or None (remote server, not Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Taken:
    seconds: float
    python_cpu: float
    server_cpu: float | None
    profile: Profile | None


def import_once(path: Path, rows: int, profiled: bool) -> Taken:
    programme, evaluator = setup_programme()
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    profile = Profile() if profiled else None
    wrapper = connection.execute_wrapper(profile) if profile else contextlib.nullcontext()
    server_before = backend_cpu(pid)
    python_before = time.process_time()
    started = time.perf_counter()
    with path.open("rb") as stream, wrapper:
        if profile:
            profile.started = profile.last = started
            profile.pid, profile.last_cpu = pid, server_before
        summary = results_import(
            programme=programme,
            user=evaluator,
            stream=stream,
            filename=path.name,
            progress=profile.progress if profile else None,
        )
    imported = time.perf_counter() - started
    python_cpu = time.process_time() - python_before
    server_after = backend_cpu(pid)
    assert summary.rows == rows, summary
    server_cpu = (
        server_after - server_before
        if server_after is not None and server_before is not None
        else None
    )
    return Taken(imported, python_cpu, server_cpu, profile)


def machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'), "
            "current_setting('wal_buffers'), current_setting('synchronous_commit')"
        )
        version, shared, wal, sync = cursor.fetchone()
    return (
        f"{os.cpu_count()} CPUs, PostgreSQL {version} (shared_buffers {shared}, "
        f"wal_buffers {wal}, synchronous_commit {sync})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the best is kept")
    parser.add_argument("--profile", action="store_true", help="print the import's phases")
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    raws: list[float] = []
    floors: list[float] = []
    imports: list[Taken] = []
    with tempfile.TemporaryDirectory(prefix="sib-import-bench-") as tmp:
        path, floor_path = Path(tmp) / "participants.csv", Path(tmp) / "floor.copy"
        started = time.perf_counter()
        generate(path, args.rows)
        floor_file(path, floor_path)
        size = path.stat().st_size
        print(
            f"generated {args.rows:,} rows ({size / 1e6:.1f} MB) and the floor's input in "
            f"{time.perf_counter() - started:.1f} s"
        )
        for round_ in range(1, args.repeat + 1):
            raw, method = raw_copy(path)
            floor, _method = floor_copy(floor_path)
            taken = import_once(path, args.rows, args.profile)
            raws.append(raw)
            floors.append(floor)
            imports.append(taken)
            print(
                f"round {round_}: raw {args.rows / raw:10,.0f} rows/s ({raw:.2f} s), "
                f"floor {args.rows / floor:10,.0f} rows/s ({floor:.2f} s), "
                f"import {args.rows / taken.seconds:10,.0f} rows/s ({taken.seconds:.2f} s: "
                f"{cpu(taken)}; {floor / taken.seconds:.3f} x floor); "
                f"load average {os.getloadavg()[0]:.2f}"
            )

    raw, floor = min(raws), min(floors)
    best = min(imports, key=lambda taken: taken.seconds)
    if best.profile:
        print("best import round,", end=" ")
        best.profile.report()
    rounds = f"best of {args.repeat}" if args.repeat > 1 else "one round"
    print(f"{rounds}, {args.rows:,} rows; COPY by {method}:")
    for name, seconds, note in (
        ("raw COPY, plain table", raw, ""),
        ("floor (see below)", floor, ""),
        ("results_import", best.seconds, f"  ({cpu(best)})"),
    ):
        print(
            f"  {name:22} {seconds:7.2f} s  {args.rows / seconds:12,.0f} rows/s  "
            f"{raw / seconds:5.3f} x raw  {floor / seconds:5.3f} x floor{note}"
        )
    # The goal (issue 16): the import at half the floor's rate, both from this run.
    verdict = "meets" if floor / best.seconds >= 0.5 else "misses"
    print(
        f"results_import {verdict} the goal of 0.5 x the floor "
        f"({floor / best.seconds:.3f} x; {raw / best.seconds:.3f} x raw COPY)."
    )
    print(
        "floor: the same rows already pseudonymised, checked and sorted, in binary, COPYed\n"
        "into the cheapest table that refuses a duplicate by itself (its uniqueness key as\n"
        "its only index): what any importer keeping that rule in the database must at least\n"
        f"write. It ran at {raw / floor:.2f} x raw."
    )


def cpu(taken: Taken) -> str:
    server = "?" if taken.server_cpu is None else f"{taken.server_cpu:.2f}"
    return f"CPU: Python {taken.python_cpu:.2f} s, server backend {server} s"


if __name__ == "__main__":
    main()
