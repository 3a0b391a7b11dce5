import os

from celery import shared_task

from sib.models import WorkerProbe
from sib.observability import current_request_id
from sib.outbox import OutboxTask, outbox_relay
from sib.upkeep import retention_prune


@shared_task(name="sib.outbox_relay")
def outbox_relay_task() -> int:
    return outbox_relay()


@shared_task(name="sib.retention_prune")
def retention_prune_task() -> dict[str, int]:
    pruned = retention_prune()
    return {
        "outbox_messages": pruned.outbox_messages,
        "idempotency_records": pruned.idempotency_records,
    }


@shared_task(name="sib.probe", base=OutboxTask)
def probe_task(*, token: str) -> None:
    """Record that a worker ran; `worker_ping` and the tests use it."""
    WorkerProbe.objects.create(token=token, pid=os.getpid(), request_id=current_request_id() or "")
