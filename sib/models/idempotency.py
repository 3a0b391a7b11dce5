from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    """The response to a write made with a client's Idempotency-Key, kept to answer retries.

    Written in the same transaction as the write itself: a request that failed validation
    rolls back and is not remembered, and a concurrent retry waits on the unique index
    until the first one commits, then replays its response.
    """

    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    operation = models.CharField(max_length=100)
    request_body = models.JSONField()
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "sib_idempotency_record"
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique_in_scope")
        ]
