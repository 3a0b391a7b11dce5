"""Queued imports: the file waits for the imports queue, is imported once, then deleted."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from outcomes.import_jobs import IMPORT_TASK, import_job_queue, import_job_run
from outcomes.models import ImportBatch, ImportJob, ImportJobStatus, ParticipantRecord
from sib.models import OutboxMessage

pytestmark = pytest.mark.django_db

HEADER = "participant_id,metric,cohort,period,date_achieved\n"
GOOD = HEADER + "P-001,in-work-6m,c1,2026-h1,2026-03-01\nP-002,in-work-6m,c1,2026-h1,2026-03-02\n"


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _queue(cast, content: str) -> ImportJob:
    return import_job_queue(
        programme=cast.programme,
        user=cast.evaluator,
        stream=io.BytesIO(content.encode()),
        filename="participants.csv",
    )


def test_a_queued_import_waits_in_the_outbox_for_the_imports_task(
    cast, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = _queue(cast, GOOD)
    message = OutboxMessage.objects.get(task_name=IMPORT_TASK)
    assert message.kwargs == {"job_id": job.pk}
    assert job.status == ImportJobStatus.QUEUED
    assert (media / job.file.name).read_text() == GOOD
    assert not ImportBatch.objects.filter(programme=cast.programme).exists()


def test_a_queued_import_runs_once_and_its_file_is_deleted_after_commit(
    cast, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = _queue(cast, GOOD)
    stored = media / job.file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        import_job_run(job_id=job.pk)
        assert stored.exists(), "deleted before the import committed"
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE
    assert job.batch is not None and job.batch.rows == 2
    assert job.finished_at is not None
    assert not stored.exists()

    # A redelivery finds the job done: no second batch, no second record.
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE
    assert ImportBatch.objects.filter(programme=cast.programme).count() == 1
    assert ParticipantRecord.objects.filter(result__batch=job.batch).count() == 2


def test_a_refused_queued_import_records_its_errors_and_imports_nothing(
    cast, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = _queue(cast, GOOD + "P-003,in-work-6m,c1,2026-h1,2026-02-30\n")
    stored = media / job.file.name
    with django_capture_on_commit_callbacks(execute=True):
        import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJobStatus.REFUSED
    assert job.batch is None
    assert job.error_count == 1
    assert [(e["line"], e["rule"]) for e in job.errors] == [(4, "bad_date")]
    assert not ImportBatch.objects.filter(programme=cast.programme).exists()
    assert not stored.exists()


def test_results_load_queue_hands_the_file_to_the_import_workers(
    cast, media, tmp_path: Path, django_capture_on_commit_callbacks
):
    path = tmp_path / "participants.csv"
    path.write_text(GOOD)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=False):
        call_command(
            "results_load", "jardins", str(path), "--user", "evaluator", "--queue", stdout=out
        )
    job = ImportJob.objects.get()
    assert out.getvalue().strip() == f"Queued import job {job.pk} (participants.csv)."
    assert job.requested_by == cast.evaluator and job.status == ImportJobStatus.QUEUED
    assert not ImportBatch.objects.filter(programme=cast.programme).exists()
