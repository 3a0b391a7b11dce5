from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql import creation
from psycopg import errors

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

    def init_connection_state(self) -> None:
        super().init_connection_state()
        role = self.settings_dict.get("APP_ROLE")
        if role and not _owner_mode:
            with self.connection.cursor() as cursor:
                try:
                    cursor.execute(f'SET ROLE "{role}"')
                except errors.InvalidParameterValue as exc:
                    raise ImproperlyConfigured(
                        f"Database role {role!r} is missing: run `python manage.py migrate` "
                        "(it creates the role), or create it and grant it to the login user."
                    ) from exc


@contextmanager
def owner_mode() -> Iterator[None]:
    """Run the block with the schema owner's privileges (migrations, test flushes)."""
    global _owner_mode
    previous = _owner_mode
    _owner_mode = True
    _reset_role()
    try:
        yield
    finally:
        _owner_mode = previous
        if not previous:
            # New connections start as the app role again.
            connections.close_all()


def _reset_role() -> None:
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            with connection.connection.cursor() as cursor:
                cursor.execute("RESET ROLE")
