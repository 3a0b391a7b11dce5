"""Three workers, one per named queue, on one broker: each effect happens once, on its queue.

A deployment on several hosts runs workers per queue (docs/deploy.md): schedules,
reports, imports. Here three real worker processes, each consuming one of this session's
queues, share the configured broker; a recompute, a report build and a CSV import are
queued through the services (the outbox) and each must run exactly once, on the worker of
its own queue, never on another.
"""

import io
import re
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from outcomes.import_jobs import IMPORT_TASK, import_job_queue
from outcomes.models import ImportBatch, ImportJobStatus, ParticipantRecord, Result
from payments.models import ScheduleVersion
from payments.outcome_payments import RECOMPUTE_TASK
from reports import services as reports
from reports.models import Report
from sib.celery import app
from sib.chain import chain_head
from sib.models import OutboxMessage
from tests.conftest import WorkerProcess
from tests.reports.conftest import make_bond
from tests.support import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

QUEUES = {
    RECOMPUTE_TASK: settings.QUEUE_SCHEDULES,
    reports.BUILD_TASK: settings.QUEUE_REPORTS,
    IMPORT_TASK: settings.QUEUE_IMPORTS,
}
PEOPLE = 30


def test_every_routed_task_exists_and_goes_to_its_named_queue():
    app.loader.import_default_modules()
    for task_name, queue in QUEUES.items():
        assert task_name in app.tasks, task_name
        assert app.amqp.router.route({}, task_name, (), {})["queue"].name == queue
    # The relay, the prune and the probe stay on the default queue.
    assert app.amqp.router.route({}, "sib.outbox_relay", (), {})["queue"].name == (
        settings.CELERY_TASK_DEFAULT_QUEUE
    )


@pytest.fixture
def queue_workers(celery_worker_process, transactional_db) -> Iterator[dict[str, WorkerProcess]]:
    """One worker per named queue and no beat; the session worker is stopped meanwhile."""
    celery_worker_process.stop()
    workers: dict[str, WorkerProcess] = {}
    with tempfile.TemporaryDirectory(prefix="sib-queues-") as tmp:
        try:
            for queue in QUEUES.values():
                kind = queue.rsplit(".", 1)[1]
                log = Path(settings.VAR_DIR) / f"test-worker-{kind}.log"
                log.write_bytes(b"")
                workers[queue] = WorkerProcess(
                    log, Path(tmp), queues=[queue], beat=False, name=kind
                )
                workers[queue].start()
            yield workers
            # Let them finish what the test queued before the database is flushed.
            pending = OutboxMessage.objects.filter(
                completed_at__isnull=True, failed_at__isnull=True
            )
            wait_for(lambda: not pending.exists(), timeout=60)
        finally:
            for worker in workers.values():
                worker.stop()


def _participants_csv(count: int) -> io.BytesIO:
    lines = ["participant_id,metric,cohort,period,date_achieved"]
    lines += [f"P-{n:04},in-work-6m,c2,2026-h2,2026-09-01" for n in range(count)]
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def _ran_on(workers: dict[str, WorkerProcess], message_id: uuid.UUID) -> list[str]:
    """Return the queues whose worker received the message (from each worker's log)."""
    received = re.compile(rf"Task [\w.]+\[{message_id}\] received")
    return [queue for queue, worker in workers.items() if received.search(worker.log())]


def test_three_workers_on_named_queues_run_each_effect_once_on_its_queue(
    queue_workers, monkeypatch
):
    # The bond is set up without its recomputes (as tests/reports/test_worker.py): the
    # one this test queues is the only one.
    with monkeypatch.context() as patch:
        patch.setattr("sib.chain._MOVED", [])
        bond = make_bond(slug="queues-bond")
    programme = bond.programme
    before = set(OutboxMessage.objects.values_list("id", flat=True))

    # A verification moves the chain, which queues the recompute (sib.chain -> payments).
    bond.verify("in-work-6m", "c1", "2026-h2", "12")
    report, queued = reports.report_request(
        programme=programme, edition="manager", language="fr", user=bond.manager
    )
    assert queued
    job = import_job_queue(
        programme=programme,
        user=bond.evaluator,
        stream=_participants_csv(PEOPLE),
        filename="participants.csv",
    )

    queued_now = list(OutboxMessage.objects.exclude(id__in=before).order_by("created_at"))
    assert {message.task_name for message in queued_now} == set(QUEUES)
    for message in queued_now:
        wait_for(
            lambda m=message: OutboxMessage.objects.get(id=m.id).completed_at is not None,
            timeout=120,
        )
    for message in queued_now:
        message.refresh_from_db()
        assert message.started_count == 1, message.task_name
        assert message.failed_at is None, message.task_name
        assert _ran_on(queue_workers, message.id) == [QUEUES[message.task_name]], message

    # The recompute: the actual schedule at the chain head, stored once.
    head = chain_head(programme_id=programme.pk)
    assert ScheduleVersion.objects.filter(
        programme=programme, chain_head=head, scenario="actual"
    ).exists(), queue_workers[settings.QUEUE_SCHEDULES].log()[-3000:]
    # The report: built once, ready, at the state it was requested for.
    report.refresh_from_db()
    assert report.status == "ready", report.failure
    assert Report.objects.filter(programme=programme, edition="manager").count() == 1
    # The import: one batch, one result, each participant once; the file is gone.
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE, job.errors
    assert ImportBatch.objects.filter(programme=programme).count() == 1
    assert job.batch is not None and job.batch.rows == PEOPLE
    imported = Result.objects.filter(batch=job.batch)
    assert imported.count() == 1
    assert ParticipantRecord.objects.filter(result__in=imported).count() == PEOPLE
    assert not Path(settings.MEDIA_ROOT, str(job.file.name)).exists()
