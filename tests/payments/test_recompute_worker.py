"""A real worker SIGKILLed in the middle of recomputes: nothing duplicated, nothing missing.

Each of the 20 rounds changes the programme (a verified result or a payment received),
which enqueues `payments.programme_recompute` through the outbox. As soon as the worker
has started the task, the pool process is killed with SIGKILL after a random delay within
the recompute's own duration. The broker redelivers the message (acks late, reject on
worker lost) to the replacement process. At the end, every stored schedule equals a clean
computation of the same inputs, byte for byte, and every stored payment line is there
exactly once.
"""

import json
import os
import random
import signal
import time
import uuid

import pytest

from payments.models import OutcomePaymentLine, ScheduleVersion
from payments.outcome_payments import RECOMPUTE_TASK
from payments.schedules import DEFAULT_PROJECTIONS, document_bytes, document_for, scenario_for
from sib.chain import chain_head
from sib.models import OutboxMessage, WorkerProbe
from sib.outbox import outbox_enqueue
from tests.payments.schedule_support import D, jardins
from tests.support import wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    # Not yet green: killing an idle pool process leaves billiard's replacement without
    # work, a restarted worker takes ~20 s here, and the after-commit publish is
    # sometimes only picked up by the relay; 20 rounds do not fit in 2 minutes yet.
    pytest.mark.skip(reason="work in progress: see the module docstring and the marker"),
]

ROUNDS = 20


def _children(pid: int) -> set[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return {int(child) for child in f.read().split()}


def _pool_pid(master: int, beat: set[int]) -> int:
    """Return the pool process (concurrency 1): the master's child that is not beat."""
    return wait_for(lambda: next(iter(_children(master) - beat), None), timeout=20)


def _probe_pid() -> int:
    token = uuid.uuid4().hex
    outbox_enqueue(task_name="sib.probe", kwargs={"token": token})
    return wait_for(lambda: WorkerProbe.objects.filter(token=token).first(), timeout=30).pid


def _restart(worker) -> tuple[int, set[int]]:
    """Kill what is left of the worker at once and start a new one; return (master, beat)."""
    process = worker.process
    for child in _children(process.pid):
        os.kill(child, signal.SIGKILL)
    process.kill()
    process.wait()
    worker.start()
    master = worker.process.pid
    pool = _probe_pid()
    return master, _children(master) - {pool}


def _clean(programme, head: str, scenario, digest: str) -> str:
    return document_bytes(
        document_for(
            programme=programme, scenario=scenario, chain_head_hash=head, contract_digest=digest
        )
    )


def test_sigkilled_recomputes_leave_the_schedule_of_a_clean_run(worker):
    rng = random.Random(20261128)
    deal = jardins("killed")
    for tranche, investor, amount in (
        ("senior", "banque-solidaire", 60_000_000),
        ("senior", "fondation-terre", 30_000_000),
        ("junior", "fonds-impact", 20_000_000),
    ):
        deal.draw(tranche, investor, D(2026, 1, 15), amount)
    people = [f"p{i:03}" for i in range(100)]
    deal.participants("training", "c1", "2026", [(p, D(2026, 5, 1)) for p in people])

    master = worker.process.pid
    pool = _probe_pid()
    beat = _children(master) - {pool}
    # How long one recompute takes here, to aim the kills inside it.
    started = time.monotonic()
    head = chain_head(programme_id=deal.programme.pk)
    for percent in (None, *DEFAULT_PROJECTIONS):
        _clean(deal.programme, head, scenario_for(percent), "timing")
    duration = time.monotonic() - started

    interrupted = 0
    for round_number in range(ROUNDS):
        before = set(
            OutboxMessage.objects.filter(task_name=RECOMPUTE_TASK).values_list("id", flat=True)
        )
        if round_number % 2:
            deal.receive("etat", 100_000 + round_number, D(2027, 1, round_number + 1))
        else:
            year = str(2027 + (round_number // 2) % 4)
            cohort = ("c2", "c3")[(round_number // 8) % 2]
            batch = people[round_number * 4 : round_number * 4 + 4]
            deal.participants("work-6m", cohort, year, [(p, D(int(year), 3, 1)) for p in batch])
        [message_id] = (
            set(OutboxMessage.objects.filter(task_name=RECOMPUTE_TASK).values_list("id", flat=True))
            - before
        )
        wait_for(
            lambda m=message_id: OutboxMessage.objects.get(id=m).started_count >= 1,
            timeout=30,
            interval=0.01,
        )
        time.sleep(rng.uniform(0, duration))
        message = OutboxMessage.objects.get(id=message_id)
        if message.completed_at is None:
            # Only a busy pool process is killed: billiard cannot replace a process killed
            # while it waits for work (the replacement never gets a task).
            os.kill(_pool_pid(master, beat), signal.SIGKILL)
            interrupted += 1
        wait_for(lambda m=message_id: OutboxMessage.objects.get(id=m).completed_at, timeout=60)

    assert interrupted >= ROUNDS // 4, f"only {interrupted} kills landed mid-recompute"
    assert not OutboxMessage.objects.filter(failed_at__isnull=False).exists()
    programme = deal.refresh()
    head = chain_head(programme_id=programme.pk)
    versions = ScheduleVersion.objects.filter(programme=programme)
    for scenario in (scenario_for(None), *(scenario_for(p) for p in DEFAULT_PROJECTIONS)):
        stored = versions.get(chain_head=head, scenario=scenario.name)
        assert stored.content == _clean(programme, head, scenario, stored.contract_version.digest)
    for version in versions.filter(scenario="actual"):
        document = json.loads(version.content)
        expected = [
            (line["metric"], line["cohort"], line["period"], line["amount"], line["result_ids"])
            for line in document["outcome_payments"]["lines"]
        ]
        lines = OutcomePaymentLine.objects.filter(version=version).order_by("position")
        assert [(x.metric, x.cohort, x.period, x.amount, x.result_ids) for x in lines] == expected
    final = json.loads(versions.get(chain_head=head, scenario="actual").content)
    # 100 trainings and 40 people in work at 6 months; ten payments received.
    assert final["outcome_payments"]["total"] == 100 * 80_000 + 40 * 300_000
    assert final["schedule"]["totals"]["received"] == sum(100_000 + n for n in range(1, ROUNDS, 2))
