import uuid

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """A task to publish, written in the same transaction as the change that calls for it.

    Its id is the Celery task id. A message is published right after commit; the relay
    re-publishes any message whose publish did not happen (crash, broker down).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    publish_attempts = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    started_count = models.PositiveIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)

    class Meta:
        db_table = "sib_outbox_message"
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_unpublished",
                condition=models.Q(published_at__isnull=True),
            ),
            # /healthz asks for the oldest message still waiting; completed rows (kept for
            # OUTBOX_RETENTION_DAYS) must not be walked to find it.
            models.Index(
                fields=["created_at"],
                name="outbox_waiting",
                condition=models.Q(completed_at__isnull=True, failed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.id}"


class WorkerProbe(models.Model):
    """One row each time the probe task runs: proves a worker is alive and runs a task once."""

    token = models.CharField(max_length=64, db_index=True)
    pid = models.PositiveIntegerField()
    request_id = models.CharField(max_length=64, blank=True)
    ran_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "sib_worker_probe"


class WorkerHeartbeat(models.Model):
    """When each worker last ran the outbox relay, which beat schedules every few seconds.

    A recent row proves the whole path alive: beat publishes, the broker delivers, a worker
    runs a task and writes to the database. /healthz reads it (sib.health).
    """

    hostname = models.CharField(max_length=255, primary_key=True)
    pid = models.PositiveIntegerField()
    beat_at = models.DateTimeField()

    class Meta:
        db_table = "sib_worker_heartbeat"

    def __str__(self) -> str:
        return f"{self.hostname} {self.beat_at.isoformat()}"
