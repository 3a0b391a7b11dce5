"""Queued imports: the file waits for the imports queue, is imported once, then deleted."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.import_jobs import IMPORT_TASK, import_job_queue, import_job_run
from outcomes.models import ImportBatch, ImportJob, ImportJobStatus, ParticipantRecord
from sib.models import Membership, OutboxMessage
from tests.cast import make_programme

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


# --- the API: queue a file (202), then read the job back ------------------------------------


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _queue_url(cast) -> str:
    return reverse("api:results-import-queue", args=[cast.programme.pk])


def _job_url(cast, job_id: int) -> str:
    return reverse("api:results-import-job", args=[cast.programme.pk, job_id])


def _upload(content: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("participants.csv", content.encode(), content_type="text/csv")


def test_the_api_queues_a_file_and_tells_when_it_is_done(
    cast, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        queued = _api(cast.evaluator).post(
            _queue_url(cast), {"file": _upload(GOOD)}, format="multipart"
        )
    assert queued.status_code == 202, queued.content
    job_id = queued.json()["id"]
    assert queued.json()["status"] == "queued"
    assert _api(cast.lead).get(_job_url(cast, job_id)).json()["status"] == "queued"

    with django_capture_on_commit_callbacks(execute=True):
        import_job_run(job_id=job_id)  # what the import worker does with the message
    done = _api(cast.evaluator).get(_job_url(cast, job_id)).json()
    assert done["status"] == "done"
    assert ImportBatch.objects.get(pk=done["batch_id"]).rows == 2


def test_the_api_shows_a_refused_jobs_errors_by_row(
    cast, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = _queue(cast, GOOD + "P-003,in-work-6m,c1,2026-h1,2026-02-30\n")
    with django_capture_on_commit_callbacks(execute=True):
        import_job_run(job_id=job.pk)
    refused = _api(cast.evaluator).get(_job_url(cast, job.pk)).json()
    assert refused["status"] == "refused" and refused["batch_id"] is None
    assert refused["error_count"] == 1
    assert refused["errors"][0]["line"] == 4


def test_only_those_who_submit_results_queue_or_read_import_jobs(
    cast, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = _queue(cast, GOOD)
    for user in (cast.funder, cast.manager):
        assert _api(user).get(_job_url(cast, job.pk)).status_code == 403
        refused = _api(user).post(_queue_url(cast), {"file": _upload(GOOD)}, format="multipart")
        assert refused.status_code == 403
    assert _api(cast.stranger).get(_job_url(cast, job.pk)).status_code == 404
    assert ImportJob.objects.count() == 1


def test_another_programmes_job_is_not_found(cast, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = _queue(cast, GOOD)
    other = make_programme("autre", cast.manager)
    Membership.objects.create(user=cast.evaluator, programme=other, role="evaluator")
    url = reverse("api:results-import-job", args=[other.pk, job.pk])
    assert _api(cast.evaluator).get(url).status_code == 404
