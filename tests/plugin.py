"""Loaded by pytest before Django's settings (see pyproject addopts).

Give this test session its own Celery queue, so a worker of `make run` sharing the broker
never takes a test's message, and the test worker never takes the developer's.
"""

import os

os.environ.setdefault("CELERY_QUEUE", f"sib-test-{os.getpid()}")
os.environ.setdefault("OUTBOX_RELAY_INTERVAL", "1")
os.environ.setdefault("OUTBOX_REDELIVER_AFTER", "5")
