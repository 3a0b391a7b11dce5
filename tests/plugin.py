"""Loaded by pytest before Django's settings (see pyproject addopts).

Start the embedded PostgreSQL when DATABASE_URL names no server (settings only compute
its URL). Give this test session its own Celery queue, so a worker of `make run` sharing
the broker never takes a test's message, and the test worker never takes the developer's.
"""

import os

# Before importing anything of sib: its package sets DJANGO_SETTINGS_MODULE to the
# production settings when unset (sib.celery), and pytest-django prefers the environment
# to pyproject's setting. The tests and the workers they start run the test settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

from sib.database import ensure_started

ensure_started()

os.environ.setdefault("CELERY_QUEUE", f"sib-test-{os.getpid()}")
os.environ.setdefault("OUTBOX_RELAY_INTERVAL", "1")
os.environ.setdefault("OUTBOX_REDELIVER_AFTER", "5")
