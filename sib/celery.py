"""The Celery app. Work that moves money is published through the outbox (sib.outbox)."""

import os

from celery import Celery, signals
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sib.settings")

PRUNE_INTERVAL_SECONDS = 24 * 3600
CHAIN_CHECK_INTERVAL_SECONDS = 24 * 3600

app = Celery("sib")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _set_broker_polling(sender: Celery, **kwargs: object) -> None:
    # kombu's SQLAlchemy transport hands every transport option to create_engine, so its
    # polling interval (how long an idle worker waits before asking the database broker
    # again) can only be set on the class. Done when Celery reads its configuration, before
    # any connection, not at import: importing `sib` must not load the settings (that made
    # `python -m sib.database stop` warn that sib.database was imported twice).
    from django.conf import settings
    from kombu.transport import sqlalchemy

    sqlalchemy.Transport.polling_interval = settings.BROKER_POLL_MS / 1000


@signals.celeryd_init.connect
@signals.beat_init.connect
def _start_embedded_database(**kwargs: object) -> None:
    # The worker and beat are entry points: they start the embedded PostgreSQL (a no-op
    # when DATABASE_URL is set) before the broker or a task connects to it. Imported here:
    # `python -m sib.database` imports `sib` first, which must not import sib.database.
    from sib.database import ensure_started

    ensure_started()


@app.on_after_finalize.connect
def _schedule_outbox_relay(sender: Celery, **kwargs: object) -> None:
    sender.add_periodic_task(
        float(settings.OUTBOX_RELAY_INTERVAL),
        sender.signature("sib.outbox_relay"),
        name="outbox relay",
    )
    # Daily: delete completed outbox messages and idempotency records past their retention
    # (sib.upkeep). Not through the outbox: a lost run is simply done the next day.
    sender.add_periodic_task(
        float(PRUNE_INTERVAL_SECONDS),
        sender.signature("sib.retention_prune"),
        name="retention prune",
    )
    # Daily: the CSV files checked on the portal and never confirmed (outcomes.import_checks;
    # the task is named, not imported: sib does not import the apps above it).
    sender.add_periodic_task(
        float(PRUNE_INTERVAL_SECONDS),
        sender.signature("outcomes.import_checks_prune"),
        name="import checks prune",
    )
    # Daily: a check of every programme's chain (sib.chain_checks), routine (the entries
    # since the last signed checkpoint), full once a week, so a change made behind the
    # application's back is found even when nobody asks.
    sender.add_periodic_task(
        float(CHAIN_CHECK_INTERVAL_SECONDS),
        sender.signature("sib.chain_checks_schedule"),
        name="chain checks",
    )
    # Daily: the principal redemptions whose date has come and that no change booked yet
    # (payments.redemption_dues; named, not imported, as above). Each programme's booking
    # goes through the outbox; a lost run is done the next day.
    sender.add_periodic_task(
        float(PRUNE_INTERVAL_SECONDS),
        sender.signature("payments.redemption_dues_schedule"),
        name="redemption dues",
    )


@signals.task_prerun.connect
def _bind_request_id(task=None, **kwargs: object) -> None:  # type: ignore[no-untyped-def]
    from sib.observability import request_id_var

    request_id_var.set(getattr(task.request, "request_id", None) if task else None)


@signals.worker_process_init.connect
def _forget_inherited_broker_connections(**kwargs: object) -> None:
    # A pool process forked after the main process opened kombu's SQLAlchemy engine (a
    # replacement for a pool process that died) inherits its pooled connections: two
    # processes on one PostgreSQL connection garble each other's messages
    # (DuplicatePreparedStatement). Give the child a fresh pool; close=False leaves the
    # parent's connections alone.
    from kombu.transport import sqlalchemy

    for engine, _session in list(sqlalchemy.Channel._engines.values()):
        engine.dispose(close=False)
