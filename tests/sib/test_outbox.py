"""The outbox: committed work always runs, exactly once; rolled-back work never runs."""

import uuid
from unittest import mock

import pytest
from django.db import transaction

from sib.models import OutboxMessage, WorkerProbe
from sib.outbox import _outbox_start, outbox_enqueue
from tests.support import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


class Rollback(Exception):
    pass


@pytest.mark.worker
def test_task_enqueued_in_a_committed_transaction_runs_exactly_once(worker):
    token = uuid.uuid4().hex
    with transaction.atomic():
        message = outbox_enqueue(task_name="sib.probe", kwargs={"token": token})

    wait_for(lambda: OutboxMessage.objects.get(id=message.id).completed_at)
    # The relay runs every second: give it the chance to publish a second time.
    wait_for(lambda: WorkerProbe.objects.filter(token=token).exists())
    import time

    time.sleep(2.5)
    assert WorkerProbe.objects.filter(token=token).count() == 1
    message.refresh_from_db()
    assert message.published_at is not None
    assert message.publish_attempts == 1


@pytest.mark.worker
def test_task_enqueued_in_a_rolled_back_transaction_never_runs(worker):
    token = uuid.uuid4().hex
    with pytest.raises(Rollback), transaction.atomic():
        outbox_enqueue(task_name="sib.probe", kwargs={"token": token})
        raise Rollback
    # A committed marker enqueued after it proves the worker had every chance to run it.
    marker = uuid.uuid4().hex
    with transaction.atomic():
        outbox_enqueue(task_name="sib.probe", kwargs={"token": marker})
    wait_for(lambda: WorkerProbe.objects.filter(token=marker).exists())
    assert not WorkerProbe.objects.filter(token=token).exists()
    assert not OutboxMessage.objects.filter(kwargs__token=token).exists()


@pytest.mark.worker
def test_relay_publishes_a_committed_message_whose_publish_never_happened(worker):
    token = uuid.uuid4().hex
    # Simulate a crash between commit and publish: the after-commit publish never runs.
    with mock.patch("sib.outbox.transaction.on_commit"), transaction.atomic():
        message = outbox_enqueue(task_name="sib.probe", kwargs={"token": token})
    assert OutboxMessage.objects.get(id=message.id).published_at is None

    wait_for(lambda: WorkerProbe.objects.filter(token=token).exists())
    message.refresh_from_db()
    assert message.published_at is not None
    assert WorkerProbe.objects.filter(token=token).count() == 1


@pytest.mark.worker
def test_relay_publishes_after_the_broker_refused_the_first_publish(worker):
    token = uuid.uuid4().hex
    with mock.patch("sib.outbox.current_app.send_task", side_effect=ConnectionError("down")):
        with transaction.atomic():
            message = outbox_enqueue(task_name="sib.probe", kwargs={"token": token})
        message.refresh_from_db()
        assert message.published_at is None
        assert message.publish_attempts == 1
    # Expire the lease the failed publisher holds, as time would.
    OutboxMessage.objects.filter(id=message.id).update(lease_until=None)
    wait_for(lambda: WorkerProbe.objects.filter(token=token).exists())
    assert WorkerProbe.objects.filter(token=token).count() == 1


@pytest.mark.worker
def test_a_message_delivered_twice_runs_once(worker):
    from celery import current_app

    token = uuid.uuid4().hex
    with transaction.atomic():
        message = outbox_enqueue(task_name="sib.probe", kwargs={"token": token})
    wait_for(lambda: OutboxMessage.objects.get(id=message.id).completed_at)
    # A broker redelivery carries the same task id.
    current_app.send_task("sib.probe", kwargs={"token": token}, task_id=str(message.id))
    marker = uuid.uuid4().hex
    with transaction.atomic():
        outbox_enqueue(task_name="sib.probe", kwargs={"token": marker})
    wait_for(lambda: WorkerProbe.objects.filter(token=marker).exists())
    assert WorkerProbe.objects.filter(token=token).count() == 1


def test_a_message_that_keeps_killing_its_worker_is_given_up(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    message = OutboxMessage.objects.create(task_name="sib.probe", kwargs={"token": "x"})
    assert [_outbox_start(str(message.id)) for _ in range(4)] == [True, True, True, False]
    message.refresh_from_db()
    assert message.failed_at is not None
    assert "3 starts" in message.failure
    assert _outbox_start(str(message.id)) is False


@pytest.mark.worker
def test_request_id_follows_the_request_into_the_task(worker, client, django_user_model):
    from sib.observability import request_id_var

    token = uuid.uuid4().hex
    reset = request_id_var.set("req-abc-123")
    try:
        with transaction.atomic():
            outbox_enqueue(task_name="sib.probe", kwargs={"token": token})
    finally:
        request_id_var.reset(reset)
    probe = wait_for(lambda: WorkerProbe.objects.filter(token=token).first())
    assert probe.request_id == "req-abc-123"


@pytest.mark.worker
def test_a_published_message_lost_with_its_worker_is_published_again(worker):
    from datetime import timedelta

    from django.utils import timezone

    token = uuid.uuid4().hex
    # As if published, then lost: the worker was killed and the broker dropped the message.
    with mock.patch("sib.outbox.transaction.on_commit"), transaction.atomic():
        message = outbox_enqueue(task_name="sib.probe", kwargs={"token": token})
    OutboxMessage.objects.filter(id=message.id).update(
        published_at=timezone.now() - timedelta(minutes=10), publish_attempts=1
    )
    wait_for(lambda: WorkerProbe.objects.filter(token=token).exists(), timeout=60)
    message.refresh_from_db()
    assert message.completed_at is not None
    # Published again at least once (a busy relay may try more than once); it ran once.
    assert message.publish_attempts >= 2
    assert WorkerProbe.objects.filter(token=token).count() == 1
