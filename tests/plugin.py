"""Loaded by pytest before Django's settings (see pyproject addopts).

Start the embedded PostgreSQL when DATABASE_URL names no server (settings only compute
its URL). Give this test session its own Celery queue, so a worker of `make run` sharing
the broker never takes a test's message, and the test worker never takes the developer's.
"""

import os

from sib.database import ensure_started

ensure_started()

os.environ.setdefault("CELERY_QUEUE", f"sib-test-{os.getpid()}")
os.environ.setdefault("OUTBOX_RELAY_INTERVAL", "1")
os.environ.setdefault("OUTBOX_REDELIVER_AFTER", "5")
