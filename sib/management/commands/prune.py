from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, no_translations

from sib.upkeep import retention_prune


class Command(BaseCommand):
    help = (
        "Delete completed outbox messages older than OUTBOX_RETENTION_DAYS and idempotency "
        "records older than IDEMPOTENCY_RETENTION_DAYS (the worker's beat does it daily)."
    )

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        pruned = retention_prune()
        self.stdout.write(
            f"Deleted {pruned.outbox_messages} completed outbox messages "
            f"(older than {settings.OUTBOX_RETENTION_DAYS} days), "
            f"{pruned.idempotency_records} idempotency records "
            f"(older than {settings.IDEMPOTENCY_RETENTION_DAYS} days) and "
            f"{pruned.worker_heartbeats} stale worker heartbeats."
        )
