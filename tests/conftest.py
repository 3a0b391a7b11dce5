import contextlib
import datetime
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.utils import translation

from sib.clock import frozen_today

ROOT = Path(__file__).resolve().parent.parent
WORKER_START_TIMEOUT = 60


def _test_database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    # The owner's URL, as DATABASE_URL is: the worker logs in as the app role itself.
    owner = db["OWNER"]
    auth = quote(owner["USER"] or "postgres")
    if owner.get("PASSWORD"):
        auth += ":" + quote(owner["PASSWORD"])
    host = db.get("HOST") or db.get("OPTIONS", {}).get("host", "")
    if host.startswith("/"):
        return f"postgresql://{auth}@/{db['NAME']}?host={quote(host)}"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{auth}@{host}{port}/{db['NAME']}"


def all_queues() -> list[str]:
    """This session's queues: the default one and the named ones (sib.settings)."""
    return [queue.name for queue in settings.CELERY_TASK_QUEUES]


class WorkerProcess:
    """A real `celery worker -B` in a subprocess, on the test database and this session's queues.

    By default it consumes every queue and runs beat, as `make run` does; `queues` and
    `beat=False` make one of several workers of a deployment (docs/deploy.md).
    """

    def __init__(
        self,
        log_path: Path,
        beat_dir: Path,
        env: dict[str, str] | None = None,
        *,
        queues: list[str] | None = None,
        beat: bool = True,
        name: str = "celery",
    ) -> None:
        self.log_path = log_path
        self.beat_dir = beat_dir
        self.extra_env = env or {}
        self.queues = queues or all_queues()
        self.beat = beat
        self.name = name
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "OUTBOX_RELAY_INTERVAL": str(settings.OUTBOX_RELAY_INTERVAL),
            "SIB_VAR_DIR": str(settings.VAR_DIR),
            # The test settings (tests/settings.py), with the hooks only tests use.
            "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
            # The database broker hands a worker one message per poll; at the default 1 s the
            # relay, beating every second in tests, takes every turn and a re-published
            # message waits behind it (published twice before it runs).
            "SIB_BROKER_POLL_MS": "100",
            **self.extra_env,
        }
        log = self.log_path.open("ab")
        # A restarted worker appends to the same log: only its own lines say it is ready.
        offset = log.tell()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "sib",
                "worker",
                *(["-B", "-s", str(self.beat_dir / "beat-schedule")] if self.beat else []),
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=INFO",
                "-Q",
                ",".join(self.queues),
                "-n",
                f"{self.name}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited at start:\n{self.log_path.read_text()[-3000:]}")
            if b" ready." in self.log_path.read_bytes()[offset:]:
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready:\n{self.log_path.read_text()[-3000:]}")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.running():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


_SESSION_WORKERS: list["WorkerProcess"] = []


def _drain_outbox(worker: "WorkerProcess", timeout: float = 60) -> None:
    from sib.models import OutboxMessage

    deadline = time.monotonic() + timeout
    pending = OutboxMessage.objects.filter(completed_at__isnull=True, failed_at__isnull=True)
    while pending.exists() and time.monotonic() < deadline and worker.running():
        time.sleep(0.2)


# The fixture every real-worker fixture starts from (`worker`, `queue_workers`, a fault
# worker): a test whose set-up reaches it starts a Celery worker.
WORKER_FIXTURE = "celery_worker_process"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test that needs the real worker is a `worker` test even if its module forgot to say
    # so: `-m "not worker"` (make test-fast) must never start one. Before `-m` deselects.
    for item in items:
        if WORKER_FIXTURE in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
            "worker"
        ):
            item.add_marker(pytest.mark.worker)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):  # type: ignore[no-untyped-def]
    # Once started, the session's worker keeps running: a committed drawdown or payment of
    # a test that did not ask for it is still recomputed. Let that finish before the
    # fixtures flush the database (a TRUNCATE under a running task can deadlock with it).
    marker = item.get_closest_marker("django_db")
    committed = "transactional_db" in getattr(item, "fixturenames", ()) or "live_server" in getattr(
        item, "fixturenames", ()
    )
    if marker is not None and marker.kwargs.get("transaction"):
        committed = True
    for worker in _SESSION_WORKERS if committed else ():
        if worker.running():
            # A test without database access has queued nothing: its query just fails.
            with contextlib.suppress(Exception):
                _drain_outbox(worker)
    return (yield)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> None:  # type: ignore[no-untyped-def]
    """Let the suite's app role become the owner by name (`SET ROLE`), as tests/owner.py does.

    The tamper tests play someone holding the owner's password against rows their own
    transaction wrote, so the owner must act in the app's session. The role is the suite's
    own (tests/settings.py), never a deployment's; it is NOINHERIT, so until a test says
    `SET ROLE` it has exactly the application's privileges.
    """
    from django.db import connection

    from sib.db.base import owner_mode

    with django_db_blocker.unblock(), owner_mode(), connection.cursor() as cursor:
        owner, role = connection.settings_dict["OWNER"]["USER"], connection.settings_dict["USER"]
        cursor.execute(f'GRANT "{owner}" TO "{role}"')


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker) -> Iterator[WorkerProcess]:
    # The log is kept under var/ so a failing test can be read against what the worker did.
    log_path = Path(settings.VAR_DIR) / "test-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_bytes(b"")
    with tempfile.TemporaryDirectory(prefix="sib-worker-") as tmp:
        # Started by the first test that asks for `worker`; a test with a worker of its own
        # (tests/payments/test_recompute_worker.py) stops it meanwhile.
        worker = WorkerProcess(log_path, Path(tmp))
        _SESSION_WORKERS.append(worker)
        try:
            yield worker
        finally:
            worker.stop()
            _SESSION_WORKERS.remove(worker)


@pytest.fixture
def worker(celery_worker_process, transactional_db) -> Iterator[WorkerProcess]:
    """A real worker; the test's data is committed so the worker can see it."""
    if not celery_worker_process.running():
        celery_worker_process.start()
    yield celery_worker_process
    # Let the worker finish what the test queued before the database is flushed.
    _drain_outbox(celery_worker_process)


@pytest.fixture(autouse=True)
def _ledger_today_after_the_contracts() -> Iterator[None]:
    # The tests' contracts run 2026-2030 and post drawdowns and payments across them; the
    # ledger refuses a date after today (sib.clock), so "today" is moved past them. The
    # tests of that rule freeze their own date inside.
    with frozen_today(datetime.date(2031, 6, 30)):
        yield


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request through the test client activates its language in this thread and leaves
    # it active; each test starts in the project's default language, whatever ran before.
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # PBKDF2 is slow on purpose; tests create many users and need no real key stretching.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
