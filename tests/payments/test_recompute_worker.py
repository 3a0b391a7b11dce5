"""A real worker SIGKILLed in the middle of recomputes: nothing duplicated, nothing missing.

Each round changes the programme (a verified result or a payment received),
which enqueues `payments.programme_recompute` through the outbox. Once the worker has
started the task, it is killed with SIGKILL after a random delay inside the recompute,
20 times in all:

- most rounds kill the pool process running the task; the worker's main process sees the
  child die and puts the message back on the broker (acks late, reject on worker lost),
  and the replacement child runs it again;
- one kill takes the whole worker (main process, beat and pool child) and starts a new
  one: the broker lost the message it had handed out, so only the outbox relay, which
  re-publishes a message published and not completed, brings the work back.

The recompute is stretched with its test hook (SIB_TEST_RECOMPUTE_PAUSE_MS: a sleep
between steps), so kills land between any two scenarios: inside the actual schedule's
transaction (written, not committed) or between projections, each committed on its own.
At the end every message completed, the stored schedules at the final chain head equal a
clean computation byte for byte, and every stored payment line is there exactly once.
"""

import contextlib
import json
import os
import random
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from payments.models import ContractVersion, OutcomePaymentLine, ScheduleVersion
from payments.outcome_payments import RECOMPUTE_TASK
from payments.schedule_builder import (
    DEFAULT_PROJECTIONS,
    document_bytes,
    scenario_for,
    schedule_compute,
    schedule_state,
)
from sib.chain import chain_head
from sib.models import OutboxMessage, WorkerProbe
from sib.outbox import outbox_enqueue
from tests.conftest import WorkerProcess
from tests.payments.schedule_support import D, jardins
from tests.support import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

KILLS = 20
# Which kill takes the whole worker rather than its pool process (a restart costs ~15 s).
WHOLE_WORKER_KILLS = {10}
# Seven sleeps per recompute (before the actual scenario and its commit, then before each of
# the five projections).
PAUSE_MS = 80
SCENARIOS = (scenario_for(None), *(scenario_for(p) for p in DEFAULT_PROJECTIONS))


def _children(pid: int) -> set[int]:
    # Every thread's children: billiard forks a replacement pool process from its
    # supervisor thread, not from the main thread.
    children: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            children |= {int(child) for child in f.read().split()}
    return children


class KillableWorker:
    """A worker started with the recompute pause, whose processes the test can find."""

    def __init__(self, process: WorkerProcess) -> None:
        self.process = process
        self.beat: set[int] = set()

    def start(self) -> None:
        self.process.start()
        # Concurrency 1: the main process has two children, the embedded beat and the one
        # pool process. A probe task names the pool process; the other child is beat.
        pool = _probe_pid()
        self.beat = _children(self.master) - {pool}

    @property
    def master(self) -> int:
        assert self.process.process is not None
        return self.process.process.pid

    def pool_pid(self) -> int:
        return wait_for(lambda: next(iter(_children(self.master) - self.beat), None), timeout=20)

    def kill_pool(self) -> None:
        os.kill(self.pool_pid(), signal.SIGKILL)

    def kill_all(self) -> None:
        """SIGKILL every process of the worker at once: nothing gets to clean up."""
        process = self.process.process
        assert process is not None
        children = _children(process.pid)
        process.kill()
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        process.wait()


def _probe_pid() -> int:
    token = uuid.uuid4().hex
    outbox_enqueue(task_name="sib.probe", kwargs={"token": token})
    return wait_for(lambda: WorkerProbe.objects.filter(token=token).first(), timeout=60).pid


@pytest.fixture
def killable_worker(celery_worker_process, transactional_db, tmp_path) -> Iterator[KillableWorker]:
    """This test's own worker, with the pause; the session worker is stopped meanwhile.

    The `worker` fixture starts the session worker again for the next test that needs it.
    """
    celery_worker_process.stop()
    log = Path(settings.VAR_DIR) / "test-worker-killed.log"
    log.write_bytes(b"")
    env = {
        "SIB_TEST_RECOMPUTE_PAUSE_MS": str(PAUSE_MS),
        # The same path, taken faster: a killed child's message goes back after 1 s, not 10.
        "CELERY_WORKER_LOST_WAIT": "1",
    }
    worker = KillableWorker(WorkerProcess(log, tmp_path, env=env))
    worker.start()
    try:
        yield worker
    finally:
        worker.process.stop()


def _recompute_ids() -> set[uuid.UUID]:
    return set(OutboxMessage.objects.filter(task_name=RECOMPUTE_TASK).values_list("id", flat=True))


def _completed(message_id: uuid.UUID) -> bool:
    return OutboxMessage.objects.filter(id=message_id, completed_at__isnull=False).exists()


def _run_length(message_id: uuid.UUID, *, started_count: int) -> float:
    """Return how long the worker took over the message's nth start, as seen from here."""
    wait_for(
        lambda: OutboxMessage.objects.get(id=message_id).started_count >= started_count,
        timeout=60,
        interval=0.01,
    )
    started = time.monotonic()
    wait_for(lambda: _completed(message_id), timeout=60, interval=0.01)
    return time.monotonic() - started


def _clean(programme, scenario) -> str:
    return document_bytes(schedule_compute(schedule_state(programme=programme), scenario)[0])


def test_sigkilled_recomputes_leave_the_schedule_of_a_clean_run(killable_worker):
    rng = random.Random(20261128)
    # The set-up's own recomputes (one per change of terms) are waited for too: one still
    # queued would otherwise run at a later head and store its schedule first.
    before_draws = _recompute_ids()
    deal = jardins("killed")
    for tranche, investor, amount in (
        ("senior", "banque-solidaire", 60_000_000),
        ("senior", "fondation-terre", 30_000_000),
        ("junior", "fonds-impact", 20_000_000),
    ):
        deal.draw(tranche, investor, D(2026, 1, 15), amount)
    # Each drawdown has the schedule recomputed too: let those runs end undisturbed, and
    # count only the heads of the changes below.
    for drawn in _recompute_ids() - before_draws:
        wait_for(lambda m=drawn: _completed(m), timeout=90, interval=0.05)
    setup_heads = set(
        ScheduleVersion.objects.filter(programme=deal.refresh()).values_list(
            "chain_head", flat=True
        )
    )
    people = [f"p{i:03}" for i in range(100)]
    before = _recompute_ids()
    deal.participants("training", "c1", "2026", [(p, D(2026, 5, 1)) for p in people])
    # The first recompute runs undisturbed; it and every rerun after a kill are timed, and
    # kills are aimed inside the shortest run seen, so that a slow moment of a loaded
    # machine does not send them past the end of the next run.
    [first] = _recompute_ids() - before
    durations = [_run_length(first, started_count=1)]
    assert durations[0] > 6 * PAUSE_MS / 1000, "the recompute pause is not in effect"

    killed: dict[uuid.UUID, str] = {}
    changes = 0
    # A kill can still miss (the run ended first); that round kills nothing and another
    # round is played, up to a few.
    while len(killed) < KILLS and changes < KILLS + 8:
        before = _recompute_ids()
        if changes % 2:
            deal.receive("etat", 100_000 + changes, D(2027, 1, changes + 1), advance=True)
        else:
            year = str(2027 + (changes // 2) % 4)
            cohort = ("c2", "c3")[(changes // 8) % 2]
            batch = people[changes * 2 : changes * 2 + 2]
            deal.participants("work-6m", cohort, year, [(p, D(int(year), 3, 1)) for p in batch])
        changes += 1
        [message_id] = _recompute_ids() - before
        wait_for(
            lambda m=message_id: OutboxMessage.objects.get(id=m).started_count,
            timeout=60,
            interval=0.01,
        )
        # Anywhere in the first 85 % of a run: from before the first scenario is written to
        # after the last one, before the commit.
        time.sleep(rng.uniform(0, 0.85 * min(durations)))
        if _completed(message_id):
            continue
        if len(killed) in WHOLE_WORKER_KILLS:
            killable_worker.kill_all()
            killed[message_id] = "worker"
            killable_worker.start()
            wait_for(lambda m=message_id: _completed(m), timeout=90, interval=0.05)
        else:
            killable_worker.kill_pool()
            killed[message_id] = "pool"
            durations.append(_run_length(message_id, started_count=2))
    assert len(killed) == KILLS, f"{len(killed)} of {changes} kills landed inside a recompute"

    messages = OutboxMessage.objects.filter(task_name=RECOMPUTE_TASK)
    assert not messages.filter(completed_at__isnull=True).exists()
    assert not messages.filter(failed_at__isnull=False).exists()
    # Every killed run was started again after its kill: the work was redone, not lost.
    for message in messages.filter(id__in=killed):
        assert message.started_count >= 2, (killed[message.id], message.started_count)

    programme = deal.refresh()
    head = chain_head(programme_id=programme.pk)
    versions = ScheduleVersion.objects.filter(programme=programme)
    # One version per chain head and scenario (each change moved the head once), none lost.
    # (A set-up head may hold its actual schedule alone: the actual commits first, and the
    # half-set-up terms of some heads give no projection.)
    heads = set(versions.values_list("chain_head", flat=True))
    assert len(heads - setup_heads) == changes + 1
    changed = versions.exclude(chain_head__in=setup_heads)
    assert changed.count() == (changes + 1) * len(SCENARIOS)
    digests = list(ContractVersion.objects.filter(programme=programme).values_list("digest"))
    assert len(digests) == len(set(digests))
    for scenario in SCENARIOS:
        stored = versions.get(chain_head=head, scenario=scenario.name)
        assert stored.content == _clean(programme, scenario)
    for version in versions.filter(scenario="actual"):
        document = json.loads(version.content)
        expected = [
            (line["metric"], line["cohort"], line["period"], line["amount"], line["result_ids"])
            for line in document["outcome_payments"]["lines"]
            if line["amount"] > 0
        ]
        lines = OutcomePaymentLine.objects.filter(version=version).order_by("position")
        assert [(x.metric, x.cohort, x.period, x.amount, x.result_ids) for x in lines] == expected
    final = json.loads(versions.get(chain_head=head, scenario="actual").content)
    # 100 trainings, two people in work at 6 months per even change, a payment per odd one.
    in_work = 2 * len(range(0, changes, 2))
    assert final["outcome_payments"]["total"] == 100 * 80_000 + in_work * 300_000
    assert final["schedule"]["totals"]["received"] == sum(100_000 + n for n in range(1, changes, 2))
