"""How soon the actual schedule is visible after a verification commits, with a real worker.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sib_bench \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/schedule_visible_bench.py [--runs 10]

Loads the demo programme (sib.demo) under a new slug and starts one real Celery worker on
every queue (as `make run` does). Then, --runs times, an evaluator submits a result and a
lead evaluator verifies it through the services; from the moment the verification has
committed, the bench polls every 2 ms for the stored actual schedule at the new chain head,
then for every default projection at that head.

Baseline, in the same run and the same way: the outbox round trip of the probe task
(`sib.probe`, an insert), from its commit to its completion mark: the floor that any work
sent to the worker through the outbox (publish after commit, broker, worker, mark) costs
before the recompute's own work. Also printed: the recompute's own time, run in this
process at a head with nothing stored (no broker, no worker).

Goal (issue 16): the actual schedule visible <= 200 ms after the verification commits,
median of 10, projections following.

The programme stays (the ledger is insert-only): point it at a scratch database, migrated
first (`manage.py migrate`).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sib.settings")

import django  # noqa: E402

from sib.database import ensure_started  # noqa: E402

ensure_started()  # an entry point: the embedded PostgreSQL, unless DATABASE_URL is set
django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402

from outcomes import services as outcome_services  # noqa: E402
from outcomes.evidence import evidence_attach  # noqa: E402
from outcomes.models import Cohort, MeasurementPeriod, Metric  # noqa: E402
from payments.models import ScheduleVersion  # noqa: E402
from payments.schedules import DEFAULT_PROJECTIONS, programme_recompute  # noqa: E402
from sib.chain import chain_head  # noqa: E402
from sib.demo import demo_definition  # noqa: E402
from sib.models import OutboxMessage, Programme, User  # noqa: E402
from sib.outbox import outbox_enqueue  # noqa: E402
from sib.programme_format import programme_definition_load  # noqa: E402

POLL_S = 0.002
TIMEOUT_S = 60.0


def _user(name: str) -> User:
    return User.objects.get_or_create(username=name)[0]


def set_up() -> tuple[Programme, User, User]:
    slug = f"visible-{uuid.uuid4().hex[:8]}"
    document = demo_definition()
    document["programme"]["slug"] = slug
    # The demo's memberships name these users: the evaluator submits, the lead verifies.
    manager, evaluator, lead = _user("manager"), _user("evaluator"), _user("lead")
    programme = programme_definition_load(document, creator=manager)
    return programme, evaluator, lead


def start_worker(log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SIB_BROKER_POLL_MS": "100"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sib", "worker", "--pool=prefork",
         "--concurrency=1", "--loglevel=INFO", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the worker exited:\n{log.read_text()[-2000:]}")
        if b" ready." in log.read_bytes():
            return process
        time.sleep(0.2)
    raise SystemExit(f"the worker is not ready:\n{log.read_text()[-2000:]}")


def wait_for(condition) -> float:  # type: ignore[no-untyped-def]
    """Poll `condition` every 2 ms; return the time it first held (perf_counter)."""
    deadline = time.perf_counter() + TIMEOUT_S
    while time.perf_counter() < deadline:
        if condition():
            return time.perf_counter()
        time.sleep(POLL_S)
    raise SystemExit("timed out waiting for the worker")


def probe_round_trip() -> float:
    message = outbox_enqueue(task_name="sib.probe", kwargs={"token": uuid.uuid4().hex})
    committed = time.perf_counter()  # autocommit: the insert and its publish are done
    done = wait_for(
        lambda: OutboxMessage.objects.filter(pk=message.pk, completed_at__isnull=False).exists()
    )
    return done - committed


def verification_visible(
    programme: Programme,
    evaluator: User,
    lead: User,
    cell: tuple[Metric, Cohort, MeasurementPeriod],
) -> tuple[float, float]:
    metric, cohort, period = cell
    result = outcome_services.result_submit(
        programme=programme,
        user=evaluator,
        metric=metric,
        cohort=cohort,
        period=period,
        stage="interim",
        values=outcome_services.ResultValues(value=Decimal(1)),
    )
    evidence_attach(
        result=result,
        user=evaluator,
        uploaded=SimpleUploadedFile("count.pdf", b"%PDF-1.4 count", "application/pdf"),
    )
    outcome_services.result_verify(result=result, user=lead)
    committed = time.perf_counter()  # result_verify is atomic: it has committed
    head = chain_head(programme_id=programme.pk)
    stored = ScheduleVersion.objects.filter(programme=programme, chain_head=head)
    actual = wait_for(lambda: stored.filter(scenario="actual").exists())
    every = wait_for(lambda: stored.count() >= 1 + len(DEFAULT_PROJECTIONS))
    return actual - committed, every - committed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "amqp://")):
        print("note: the PostgreSQL broker polls (SIB_BROKER_POLL_MS=100): figures include it")
    programme, evaluator, lead = set_up()
    cell = (
        Metric.objects.filter(programme=programme).order_by("code").first(),
        Cohort.objects.filter(programme=programme).order_by("code").first(),
        MeasurementPeriod.objects.filter(programme=programme).order_by("start_date").first(),
    )
    started = time.perf_counter()
    programme_recompute(programme_id=programme.pk)
    in_process = time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="visible-") as out:
        worker = start_worker(Path(out) / "worker.log")
        try:
            connection.close()
            probe_round_trip()  # warm the worker's connections
            probes = [probe_round_trip() for _ in range(args.runs)]
            visible = [
                verification_visible(programme, evaluator, lead, cell) for _ in range(args.runs)
            ]  # type: ignore[arg-type]
        finally:
            worker.terminate()
            worker.wait(30)

    def ms(values: list[float]) -> str:
        median, worst = statistics.median(values) * 1000, max(values) * 1000
        return f"median {median:7.1f} ms, max {worst:7.1f} ms"

    actual = [a for a, _ in visible]
    every = [e for _, e in visible]
    broker = settings.CELERY_BROKER_URL.split("://")[0]
    print(f"broker {broker}, {args.runs} runs, load average {os.getloadavg()[0]:.1f}")
    print(f"  baseline: outbox round trip of the probe task   {ms(probes)}")
    print(f"  recompute alone, in process (all six documents)  {in_process * 1000:7.1f} ms")
    print(f"  actual schedule visible after the verification   {ms(actual)}")
    print(f"  every projection stored after the verification   {ms(every)}")
    goal = statistics.median(actual) <= 0.2
    print(f"goal (actual schedule <= 200 ms, median): {'met' if goal else 'NOT MET'}")


if __name__ == "__main__":
    main()
