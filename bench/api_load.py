"""Load the main API reads beside a bare view, in one run: req/s, p50/p95/p99, queries.

    DATABASE_URL=... python bench/api_load.py [--duration 20] [--users 50] [--workers 2]
        [--entries 200] [--programmes 10] [--only NAME ...]

Sets up a programme through the services (the demo bond of sib.demo, loaded with
--entries more history entries: drawdowns, and payments received, every fifth), plus
--programmes smaller ones for the programme list; a second run with the same sizes reuses
them. Then starts gunicorn (--workers, sync) on a loopback port in production settings
(SIB_ENV=production, DEBUG off, persistent database connections, static files collected
and served by WhiteNoise) and, for each endpoint in turn, runs Locust headless for
--duration seconds with --users clients that ask again as soon as answered (statistics
reset once all have started). The bare view (bench/api_load_urls.py: a constant JSON answer
behind the project's whole middleware, no database) runs first and again last; each
endpoint is compared with the mean of the two. The SQL statements per request, and the
milliseconds of Python CPU per request ("cpu ms", the database server's excluded), are
measured in this process through Django's test client, on the same settings and data.

Goals (issue 16): throughput >= 0.5x the bare view's for detail endpoints (programme
detail, schedule, statement) and >= 0.3x for lists (programmes, ledger transactions,
results); p95 <= 3x the bare view's p95; no error. Locust runs on the same machine and
takes a core's share: on 2 cores, client and server compete, as they did for the figures
in the issue. Figures and what bounds them: docs/benchmarks.md.

The programmes stay (the ledger is insert-only): point it at a scratch database, migrated
first (`manage.py migrate`).
"""

import argparse
import copy
import csv
import http.client
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Production, as deployed (README, "Deploy"): the settings are read once, so set them first.
# The keys are random for the run; nothing the bench reads depends on them.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.api_load_settings"
os.environ["SIB_ENV"] = "production"
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
os.environ.setdefault("PSEUDONYM_KEY", secrets.token_urlsafe(64))
os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
os.environ.pop("DEBUG", None)

import django  # noqa: E402

from sib.database import ensure_started  # noqa: E402

# Collected for the run, as a deploy does before starting the server (docs/operations.md).
_STATIC = tempfile.TemporaryDirectory(prefix="api-load-static-")
os.environ["STATIC_ROOT"] = _STATIC.name

ensure_started()  # an entry point: the embedded PostgreSQL, unless DATABASE_URL is set

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from payments.schedules import programme_recompute  # noqa: E402
from sib import services  # noqa: E402
from sib.demo import demo_definition  # noqa: E402
from sib.models import Membership, Organisation, Programme, User  # noqa: E402
from sib.programme_format import programme_definition_load  # noqa: E402
from sib.tokens import token_issue  # noqa: E402

LOCUSTFILE = Path(__file__).resolve().parent / "api_load_locustfile.py"
INVESTOR = "banque-solidaire"
PROXY = {"HTTP_X_FORWARDED_PROTO": "https"}  # as the proxy in front would say


@dataclass(frozen=True)
class Endpoint:
    name: str
    kind: str  # "bare", "detail" or "list": which goal applies
    path: str
    token: str | None


@dataclass(frozen=True)
class Figures:
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    load: float
    first_failure: str


# --- Data -----------------------------------------------------------------------------------


def _document(slug: str, entries: int) -> dict:  # type: ignore[type-arg]
    """Return the demo bond under `slug`, with `entries` more history entries."""
    document = copy.deepcopy(demo_definition())
    document["programme"]["slug"] = slug
    document["programme"]["name"] = f"Jardins solidaires ({slug})"
    [senior] = [t for t in document["tranches"] if t["key"] == "senior"]
    for commitment in senior["commitments"]:
        commitment["amount"] = 10**9  # room for every drawdown below
    history = document["history"]
    first = date(2026, 1, 2)
    for i in range(entries):
        on = (first + timedelta(days=i % 300)).isoformat()
        if i % 5 == 4:
            payer = "etat" if i % 2 else "departement-13"
            history["payments_received"].append(
                {"on": on, "payer": payer, "amount": 100, "advance": True}
            )
        else:
            history["drawdowns"].append(
                {"on": on, "tranche": "senior", "investor": INVESTOR, "amount": 1_000}
            )
    return document


def _programme(slug: str, entries: int, users: dict[str, User]) -> Programme:
    programme = Programme.objects.filter(slug=slug).first()
    if programme is None:
        started = time.perf_counter()
        programme = programme_definition_load(_document(slug, entries), creator=users["manager"])
        print(f"  loaded {slug} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    grants = [("manager", "fund_manager", None), ("investor", "investor", INVESTOR)]
    for username, role, organisation in grants:
        if not Membership.objects.filter(
            user=users[username], programme=programme, role=role
        ).exists():
            services.membership_add(
                programme=programme,
                user=users[username],
                role=role,
                organisation=Organisation.objects.get(slug=organisation) if organisation else None,
            )
    return programme


def set_up(entries: int, programmes: int) -> list[Endpoint]:
    users = {
        name: User.objects.get_or_create(username=name)[0]
        for name in ("manager", "evaluator", "lead", "investor")
    }
    main = _programme(f"api-load-{entries}", entries, users)
    for number in range(programmes):
        _programme(f"api-load-other-{number}", 0, users)
    manager = token_issue(user=users["manager"]).key
    investor = token_issue(user=users["investor"]).key
    # What the worker does after each change: the schedule, its projections and the
    # statements stored at the chain head, so the reads serve them (no worker runs here).
    programme_recompute(programme_id=main.pk)
    api = f"/api/programmes/{main.pk}"
    return [
        Endpoint("bare view", "bare", "/bench/bare/", None),
        Endpoint("programme list", "list", "/api/programmes/", manager),
        Endpoint("programme detail", "detail", f"{api}/", manager),
        Endpoint("ledger transactions", "list", f"{api}/ledger/transactions/", manager),
        Endpoint("schedule", "detail", f"{api}/schedule/", manager),
        Endpoint("statement", "detail", f"{api}/statement/", investor),
        Endpoint("results", "list", f"{api}/results/", manager),
    ]


def in_process(endpoint: Endpoint, repeat: int = 5) -> tuple[int, float]:
    """Return the SQL statements of one request and the milliseconds of this process's CPU
    per request (mean of `repeat`), through the test client after one request to warm up.

    The CPU is Python's alone (Django, DRF, serialising), the database server's not included:
    with the wall time under load, it tells waiting apart from working.
    """
    client = Client(HTTP_HOST="127.0.0.1", **PROXY)
    headers = {"HTTP_AUTHORIZATION": f"Token {endpoint.token}"} if endpoint.token else {}
    response = client.get(endpoint.path, **headers)
    if response.status_code != 200:
        raise SystemExit(f"{endpoint.path}: {response.status_code} {response.content[:300]!r}")
    with CaptureQueriesContext(connection) as queries:
        client.get(endpoint.path, **headers)
    count = len(queries)  # now: each request clears the log it reads from
    cpu = time.process_time()
    for _ in range(repeat):
        client.get(endpoint.path, **headers)
    return count, (time.process_time() - cpu) * 1_000 / repeat


# --- Server and load ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, endpoint: Endpoint) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"X-Forwarded-Proto": "https"}
    if endpoint.token:
        headers["Authorization"] = f"Token {endpoint.token}"
    conn.request("GET", endpoint.path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def start_gunicorn(workers: int, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "sib.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--chdir",
        str(ROOT),
    ]
    server = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    probe = Endpoint("healthz", "bare", "/bench/bare/", None)
    while True:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            if _get(port, probe) == 200:
                return server, port
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.terminate()
            raise SystemExit(f"gunicorn did not answer in 60 s:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def run_locust(endpoint: Endpoint, port: int, args: argparse.Namespace, out: Path) -> Figures:
    for _ in range(2 * args.workers):  # each worker connects and warms its caches first
        _get(port, endpoint)
    prefix = out / endpoint.name.replace(" ", "-")
    env = {**os.environ, "API_LOAD_PATH": endpoint.path, "API_LOAD_TOKEN": endpoint.token or ""}
    load = os.getloadavg()[0]
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.users),
        "--run-time",
        f"{args.duration}s",
        "--reset-stats",  # count from the moment every user is running
        "--stop-timeout",
        "10",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "ERROR",
    ]
    # Locust exits 1 when a request failed; the CSV says how many, so that is not an error.
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise SystemExit(f"locust wrote no statistics:\n{finished.stderr[-3000:]}")
    with stats.open() as file:
        [row] = [r for r in csv.DictReader(file) if r["Name"] == "Aggregated"]
    first_failure = ""
    with Path(f"{prefix}_failures.csv").open() as file:
        for failure in csv.DictReader(file):
            first_failure = f"{failure['Occurrences']}x {failure['Error']}"
            break
    return Figures(
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        rps=float(row["Requests/s"]),
        p50=float(row["50%"]),
        p95=float(row["95%"]),
        p99=float(row["99%"]),
        load=load,
        first_failure=first_failure,
    )


# --- Report ---------------------------------------------------------------------------------


def _machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        (version,) = cursor.fetchone()
    locust = subprocess.run(
        [sys.executable, "-m", "locust", "--version"], capture_output=True, text=True, check=False
    ).stdout.split(" from ")[0]
    return (
        f"{os.cpu_count()} CPUs, PostgreSQL {version}, {locust}, "
        f"SIB_ENV={settings.SIB_ENV}, DEBUG={settings.DEBUG}, "
        f"CONN_MAX_AGE={settings.DATABASES['default']['CONN_MAX_AGE']}"
    )


def report(results: list[tuple[Endpoint, Figures, int, float]]) -> bool:
    bare = [figures for endpoint, figures, _, _ in results if endpoint.kind == "bare"]
    bare_rps = sum(f.rps for f in bare) / len(bare)
    bare_p95 = sum(f.p95 for f in bare) / len(bare)
    print(
        f"{'endpoint':<20} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'x bare':>6} {'p95/bare':>8} {'queries':>7} {'cpu ms':>6} {'load':>5}"
        "  goal"
    )
    met = True
    for endpoint, f, queries, cpu_ms in results:
        ratio = f.rps / bare_rps
        p95_ratio = f.p95 / bare_p95
        if endpoint.kind == "bare":
            verdict = "baseline" if not f.failures else "NOT MET (errors)"
        else:
            floor = 0.5 if endpoint.kind == "detail" else 0.3
            missed = []
            if ratio < floor:
                missed.append(f"req/s < {floor}x")
            if p95_ratio > 3:
                missed.append("p95 > 3x")
            if f.failures:
                missed.append("errors")
            verdict = f"NOT MET ({', '.join(missed)})" if missed else "met"
            met = met and not missed
        print(
            f"{endpoint.name:<20} {f.rps:>7.0f} {f.p50:>7.0f} {f.p95:>7.0f} {f.p99:>7.0f} "
            f"{f.failures:>6} {ratio:>6.2f} {p95_ratio:>8.1f} {queries:>7} {cpu_ms:>6.1f} "
            f"{f.load:>5.1f}  "
            f"{verdict}"
        )
        if f.first_failure:
            print(f"  first failure: {f.first_failure}")
    print(f"bare view: {bare_rps:.0f} req/s, p95 {bare_p95:.0f} ms (mean of the runs above)")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per endpoint")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--entries", type=int, default=200, help="history entries to load")
    parser.add_argument("--programmes", type=int, default=10, help="other programmes listed")
    parser.add_argument("--only", nargs="*", default=[], help="endpoint names (bare always)")
    args = parser.parse_args()

    started = time.perf_counter()
    endpoints = set_up(args.entries, args.programmes)
    if args.only:
        endpoints = [e for e in endpoints if e.kind == "bare" or e.name in args.only]
    endpoints.append(endpoints[0])  # the bare view again at the end: how much the load moved
    measured = {e.name: in_process(e) for e in endpoints}
    call_command("collectstatic", interactive=False, verbosity=0)
    print(_machine())
    print(
        f"{args.users} users, {args.duration} s per endpoint, gunicorn {args.workers} sync "
        f"workers; set-up {time.perf_counter() - started:.0f} s"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="api-load-") as out:
        log = Path(out) / "gunicorn.log"
        server, port = start_gunicorn(args.workers, log)
        try:
            for endpoint in endpoints:
                figures = run_locust(endpoint, port, args, Path(out))
                results.append((endpoint, figures, *measured[endpoint.name]))
                print(f"  {endpoint.name}: {figures.rps:.0f} req/s", file=sys.stderr, flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    met = report(results)
    print(f"goals {'met' if met else 'NOT met'}; total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
