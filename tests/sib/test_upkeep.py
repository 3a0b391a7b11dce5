"""Retention: completed outbox messages and idempotency records are pruned after their
retention, by a command and by a daily beat entry; nothing still needed is touched."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from sib.celery import app as celery_app
from sib.models import IdempotencyRecord, OutboxMessage, WorkerHeartbeat
from sib.upkeep import retention_prune, worker_heartbeat_record

pytestmark = pytest.mark.django_db


def _message(*, age: timedelta, **fields: object) -> OutboxMessage:
    moment = timezone.now() - age
    values = {key: moment if value is True else value for key, value in fields.items()}
    return OutboxMessage.objects.create(task_name="sib.probe", created_at=moment, **values)


def _record(*, key: str, age: timedelta) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        scope="test",
        key=key,
        operation="drawdown.record",
        request_body={},
        request_fingerprint="0" * 64,
        response_status=201,
        response_body={},
        created_at=timezone.now() - age,
    )


def test_completed_messages_older_than_the_retention_are_deleted_and_recent_ones_kept(settings):
    settings.OUTBOX_RETENTION_DAYS = 30
    old = _message(age=timedelta(days=31), published_at=True, completed_at=True)
    recent = _message(age=timedelta(days=29), published_at=True, completed_at=True)

    pruned = retention_prune()

    assert pruned.outbox_messages == 1
    assert not OutboxMessage.objects.filter(id=old.id).exists()
    assert OutboxMessage.objects.filter(id=recent.id).exists()


def test_waiting_and_failed_messages_are_never_pruned_however_old(settings):
    settings.OUTBOX_RETENTION_DAYS = 1
    waiting = _message(age=timedelta(days=400))
    published = _message(age=timedelta(days=400), published_at=True)
    failed = _message(age=timedelta(days=400), failed_at=True, failure="gave up")

    assert retention_prune().outbox_messages == 0
    assert OutboxMessage.objects.filter(id__in=[waiting.id, published.id, failed.id]).count() == 3


def test_idempotency_records_older_than_their_retention_are_deleted(settings):
    settings.IDEMPOTENCY_RETENTION_DAYS = 7
    _record(key="old", age=timedelta(days=8))
    _record(key="recent", age=timedelta(days=6))

    pruned = retention_prune()

    assert pruned.idempotency_records == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]


def test_heartbeats_of_workers_gone_longer_than_the_outbox_retention_are_deleted(settings):
    settings.OUTBOX_RETENTION_DAYS = 30
    worker_heartbeat_record(hostname="celery@alive", pid=1)
    worker_heartbeat_record(hostname="celery@gone", pid=2)
    WorkerHeartbeat.objects.filter(hostname="celery@gone").update(
        beat_at=timezone.now() - timedelta(days=31)
    )

    assert retention_prune().worker_heartbeats == 1
    # Only this test's rows: a real worker of the session may have beaten meanwhile.
    mine = WorkerHeartbeat.objects.filter(hostname__in=["celery@alive", "celery@gone"])
    assert list(mine.values_list("hostname", flat=True)) == ["celery@alive"]


def test_prune_command_deletes_and_says_how_many(settings):
    settings.OUTBOX_RETENTION_DAYS = 30
    settings.IDEMPOTENCY_RETENTION_DAYS = 30
    _message(age=timedelta(days=31), completed_at=True)
    _record(key="old", age=timedelta(days=31))
    out = StringIO()

    call_command("prune", stdout=out)

    assert "Deleted 1 completed outbox messages (older than 30 days)" in out.getvalue()
    assert "1 idempotency records (older than 30 days)" in out.getvalue()
    assert not OutboxMessage.objects.exists()
    assert not IdempotencyRecord.objects.exists()


def test_beat_runs_the_prune_daily_and_the_relay_often():
    celery_app.loader.import_default_modules()
    celery_app.finalize()

    schedule = celery_app.conf.beat_schedule

    assert schedule["retention prune"]["task"] == "sib.retention_prune"
    assert schedule["retention prune"]["schedule"] == 24 * 3600
    assert schedule["outbox relay"]["task"] == "sib.outbox_relay"
    assert "sib.retention_prune" in celery_app.tasks
