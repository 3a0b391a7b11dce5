"""The faults the runner injects, each the way it happens in production.

- Serialization failures and deadlocks come from the database itself: a trigger on a table
  raises SQLSTATE 40001 or 40P01 for the next N inserts, counted by a sequence (which
  does not roll back with the failed transaction, so "the next N attempts" holds).
- A dropped connection is `pg_terminate_backend` of every other backend on the database:
  the live server's, the worker's and, with the PostgreSQL broker, the broker's.
- A broker restart drops every broker connection: Redis clients on the broker's database
  are killed (the Redis server is shared, so never the others), PostgreSQL broker
  backends (those polling kombu's tables) are terminated.
- A worker is SIGKILLed, main process and children at once, and started again.
- A duplicated delivery publishes an outbox message a second time, with its own id.
"""

import contextlib
import os
import signal
from typing import cast
from urllib.parse import urlsplit

import psycopg
import redis
from celery import current_app
from django.conf import settings
from django.db import connection

from sib.models import OutboxMessage
from tests.conftest import WorkerProcess, _test_database_url

# Tables the trigger is put on: the ledger (written by the API's requests) and the stored
# schedules (written by the worker's recompute).
TARGETS = ("payments_ledger_transaction", "payments_schedule_version")

_SETUP = """
CREATE TABLE IF NOT EXISTS faults_plan (tbl text PRIMARY KEY, upto bigint NOT NULL,
                                        code text NOT NULL);
CREATE SEQUENCE IF NOT EXISTS faults_tick;
SELECT nextval('faults_tick');
CREATE OR REPLACE FUNCTION faults_raise() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    plan faults_plan;
BEGIN
    SELECT * INTO plan FROM faults_plan WHERE tbl = TG_TABLE_NAME;
    IF FOUND AND nextval('faults_tick') <= plan.upto THEN
        RAISE EXCEPTION 'fault injected on %', TG_TABLE_NAME USING ERRCODE = plan.code;
    END IF;
    RETURN NEW;
END $$;
"""


def _children(pid: int) -> set[int]:
    # Every thread's children: billiard forks replacement pool processes from a thread.
    children: set[int] = set()
    with contextlib.suppress(FileNotFoundError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children |= {int(child) for child in f.read().split()}
    return children


class Injector:
    """Inject faults into one test database, its broker and one worker."""

    def __init__(self, worker: WorkerProcess) -> None:
        self.worker = worker
        self.admin = psycopg.connect(_test_database_url(), autocommit=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (self.test_backend,) = cursor.fetchone()
        self.admin.execute(_SETUP)
        for table in TARGETS:
            self.admin.execute(
                "INSERT INTO faults_plan VALUES (%s, 0, '40001') ON CONFLICT DO NOTHING", [table]
            )
            self.admin.execute(
                f"CREATE OR REPLACE TRIGGER faults_raise BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION faults_raise()"
            )

    def close(self) -> None:
        for table in TARGETS:
            self.admin.execute(f"DROP TRIGGER IF EXISTS faults_raise ON {table}")
        self.admin.execute(
            "DROP FUNCTION IF EXISTS faults_raise(); DROP TABLE IF EXISTS faults_plan;"
            "DROP SEQUENCE IF EXISTS faults_tick;"
        )
        self.admin.close()

    # --- database ------------------------------------------------------------------------

    def database_error(self, *, table: str, code: str, times: int) -> None:
        """Make the next `times` inserts into `table` fail with SQLSTATE `code`."""
        self.admin.execute(
            "UPDATE faults_plan SET code = %s, upto = (SELECT last_value FROM faults_tick) + %s"
            " WHERE tbl = %s",
            [code, times, table],
        )

    def disarm(self) -> None:
        self.admin.execute("UPDATE faults_plan SET upto = 0")

    def drop_connections(self) -> int:
        """Terminate every backend on the test database but this runner's own two."""
        own = self.admin.info.backend_pid
        rows = self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid NOT IN (%s, %s)",
            [own, self.test_backend],
        ).fetchall()
        return len(rows)

    # --- broker --------------------------------------------------------------------------

    def restart_broker(self) -> int:
        """Drop every connection to the broker, as a broker restart does."""
        url = settings.CELERY_BROKER_URL
        if url.startswith("redis"):
            client = redis.Redis.from_url(url)
            db = client.connection_pool.connection_kwargs.get("db", 0)
            own = client.client_id()
            killed = 0
            clients = cast(list[dict[str, str]], client.client_list())
            for entry in clients:
                if int(entry["db"]) == db and int(entry["id"]) != own:
                    killed += cast(int, client.client_kill_filter(_id=entry["id"]))
            client.close()
            return killed
        # The PostgreSQL broker (kombu's SQLAlchemy transport) lives in the database the
        # settings name, not the test database: its backends are the ones polling kombu's
        # tables (another worker on that database sees a broker restart too, and reconnects).
        database = urlsplit(url).path.lstrip("/")
        rows = self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid() AND query ILIKE '%%kombu%%'",
            [database],
        ).fetchall()
        return len(rows)

    # --- worker --------------------------------------------------------------------------

    def kill_worker(self) -> None:
        """SIGKILL the worker's main process and its children together, then start it."""
        process = self.worker.process
        assert process is not None
        children = _children(process.pid)
        process.kill()
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        process.wait()
        self.worker.start()

    def duplicate_delivery(self, message: OutboxMessage) -> None:
        """Publish an outbox message again, with the same task id, as a broker may."""
        current_app.send_task(
            message.task_name,
            kwargs=message.kwargs,
            task_id=str(message.id),
            headers={"request_id": message.request_id},
        )
