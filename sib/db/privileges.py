"""Grant the application role what it may do, after every migrate."""

from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from sib.db.insert_only import insert_only_tables

# Who did what (django-pghistory's context rows): the app role only reads them. Events
# reach it through _pgh_attach_context(), which runs as the owner (SECURITY DEFINER, below).
HISTORY_CONTEXT_TABLE = "pghistory_context"


def app_read_only_tables() -> list[str]:
    """Return the tables the application role may only read (kept by triggers)."""
    tables = [
        model._meta.db_table
        for model in apps.get_models()
        if getattr(model, "app_role_read_only", False)
    ]
    return sorted([*tables, HISTORY_CONTEXT_TABLE])


def app_login_role_ensure(cursor: Any, *, role: str, password: str | None) -> None:
    """Create the application's login role, or let it log in, when the owner may.

    Roles are cluster-wide. A superuser owner (the embedded server, CI, a laptop) sets the
    role up itself; a production owner cannot create roles, so the role is created
    beforehand (docs/operations.md) and this only checks it can log in.
    """
    cursor.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    may_create = cursor.fetchone()[0]
    cursor.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [role])
    found = cursor.fetchone()
    if not may_create:
        if found is None or not found[0]:
            raise ImproperlyConfigured(
                f"Database role {role!r} is missing or cannot log in, and the owner may not "
                "create roles: create it first (docs/operations.md, Database roles)."
            )
        return
    verb = "ALTER" if found else "CREATE"
    # NOINHERIT: the role has only what is granted to it by name, never privileges of a
    # role it may be made a member of.
    cursor.execute(f'{verb} ROLE "{role}" LOGIN NOINHERIT')
    if password:
        cursor.execute(f'ALTER ROLE "{role}" PASSWORD %s', [password])


def database_privileges_apply(*, using: str = "default") -> None:
    connection = connections[using]
    role = connection.settings_dict.get("APP_ROLE")
    if not role:
        return
    with connection.cursor() as cursor:
        app_login_role_ensure(cursor, role=role, password=connection.settings_dict.get("PASSWORD"))
        cursor.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        cursor.execute(
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'
        )
        cursor.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
        for table in insert_only_tables():
            cursor.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{table}" FROM "{role}"')
        for table in app_read_only_tables():
            cursor.execute(f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "{table}" FROM "{role}"')
        # pghistory installs it plain (PGHISTORY_INSTALL_CONTEXT_FUNC_ON_MIGRATE is off, so it
        # is not replaced after this); as the owner it upserts the context row for the app.
        cursor.execute(
            "ALTER FUNCTION _pgh_attach_context() SECURITY DEFINER SET search_path = public"
        )
