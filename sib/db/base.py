"""PostgreSQL backend that logs the application in as its own, restricted database role.

Settings give two credentials on one database: the application's login role (the
connection's USER, `DATABASE_APP_URL`) and the schema owner's (`OWNER`, `DATABASE_URL`).
Every connection logs in as the application role, so the insert-only guarantees (no
UPDATE, DELETE or TRUNCATE on ledger tables) hold for the web server, the worker and the
tests alike, and no code can `RESET ROLE` out of them: there is no session state to undo,
which is also what lets PgBouncer pool these connections in transaction mode. Only owner
mode, which `migrate`, `makemigrations`, `flush` and the test database's set-up turn on,
logs in as the owner.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections
from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql import creation

_owner_mode = False


class DatabaseCreation(creation.DatabaseCreation):
    """Create and destroy test databases as the owner."""

    def create_test_db(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with owner_mode():
            return super().create_test_db(*args, **kwargs)

    def destroy_test_db(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with owner_mode():
            return super().destroy_test_db(*args, **kwargs)


class DatabaseWrapper(postgresql.DatabaseWrapper):
    creation_class = DatabaseCreation

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        owner = self.settings_dict.get("OWNER")
        if _owner_mode and owner:
            # The owner's login on the same database (the test database during tests).
            params["user"] = owner.get("USER") or params.get("user")
            params.pop("password", None)
            if owner.get("PASSWORD"):
                params["password"] = owner["PASSWORD"]
            if owner.get("HOST"):
                params["host"] = owner["HOST"]
            if owner.get("PORT"):
                params["port"] = owner["PORT"]
        return params


@contextmanager
def owner_mode() -> Iterator[None]:
    """Run the block logged in as the schema owner (migrations, test set-up and flushes)."""
    global _owner_mode
    previous = _owner_mode
    # Open connections are the application's: the next query reconnects as the owner.
    connections.close_all()
    _owner_mode = True
    try:
        yield
    finally:
        _owner_mode = previous
        if not previous:
            # New connections log in as the application role again.
            connections.close_all()
