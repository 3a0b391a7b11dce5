from celery import shared_task
from django.db import connections

from reports import services
from sib.outbox import OutboxTask


@shared_task(name=services.BUILD_TASK, base=OutboxTask)
def report_build_task(*, report_id: int) -> None:
    """Build one queued report (published through the outbox; safe to run again)."""
    # OutboxTask runs this body inside one transaction, which pollers cannot see into
    # until it commits; "building" and the progress go through a second connection in
    # autocommit. It only ever touches the report row before the build's own transaction
    # does, so the two never wait on each other.
    side = connections.create_connection("default")
    try:
        services.report_build(report_id=report_id, tracker=services.BuildTracker(side))
    finally:
        side.close()
