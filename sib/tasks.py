import os
import socket

from celery import Task, shared_task

from sib.chain_checks import CHECK_TASK, chain_check_run, chain_checks_schedule
from sib.models import WorkerProbe
from sib.observability import current_request_id
from sib.outbox import OutboxTask, outbox_relay
from sib.upkeep import retention_prune, worker_heartbeat_record


@shared_task(name="sib.outbox_relay", bind=True)
def outbox_relay_task(self: Task) -> int:
    # Beat sends this every OUTBOX_RELAY_INTERVAL seconds, so it doubles as the heartbeat
    # that /healthz reads: beat, broker, worker and database all took part.
    worker_heartbeat_record(hostname=self.request.hostname or socket.gethostname(), pid=os.getpid())
    return outbox_relay()


@shared_task(name="sib.retention_prune")
def retention_prune_task() -> dict[str, int]:
    pruned = retention_prune()
    return {
        "outbox_messages": pruned.outbox_messages,
        "idempotency_records": pruned.idempotency_records,
        "worker_heartbeats": pruned.worker_heartbeats,
    }


@shared_task(name="sib.probe", base=OutboxTask)
def probe_task(*, token: str) -> None:
    """Record that a worker ran; `worker_ping` and the tests use it."""
    WorkerProbe.objects.create(token=token, pid=os.getpid(), request_id=current_request_id() or "")


# The body commits in two steps ("running", then the result), so the page can show that a
# check is under way; it is idempotent by itself (a finished check is not run again).
@shared_task(name=CHECK_TASK, base=OutboxTask, body_in_transaction=False)
def chain_check_task(*, check_id: int) -> str:
    return str(chain_check_run(check_id=check_id).status)


@shared_task(name="sib.chain_checks_schedule")
def chain_checks_schedule_task() -> int:
    # Not through the outbox: each check it asks for is (chain_check_request); a lost run
    # is simply done the next day.
    return chain_checks_schedule()
