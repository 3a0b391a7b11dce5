"""The Celery app. Work that moves money is published through the outbox (sib.outbox)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sib.settings")

app = Celery("sib")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule_outbox_relay(sender: Celery, **kwargs: object) -> None:
    from django.conf import settings

    sender.add_periodic_task(
        float(settings.OUTBOX_RELAY_INTERVAL),
        sender.signature("sib.outbox_relay"),
        name="outbox relay",
    )


@signals.task_prerun.connect
def _bind_request_id(task=None, **kwargs: object) -> None:  # type: ignore[no-untyped-def]
    from sib.observability import request_id_var

    request_id_var.set(getattr(task.request, "request_id", None) if task else None)
