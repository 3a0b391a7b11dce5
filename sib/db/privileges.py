"""Grant the application role what it may do, after every migrate."""

from django.db import connections

from sib.db.insert_only import insert_only_tables

# Who did what (django-pghistory's context rows): the app role only reads them. Events
# reach it through _pgh_attach_context(), which runs as the owner (SECURITY DEFINER, below).
HISTORY_CONTEXT_TABLE = "pghistory_context"


def app_read_only_tables() -> list[str]:
    """Return the tables the application role may only read (kept by triggers)."""
    from django.apps import apps

    tables = [
        model._meta.db_table
        for model in apps.get_models()
        if getattr(model, "app_role_read_only", False)
    ]
    return sorted([*tables, HISTORY_CONTEXT_TABLE])


def database_privileges_apply(*, using: str = "default") -> None:
    connection = connections[using]
    role = connection.settings_dict.get("APP_ROLE")
    if not role:
        return
    with connection.cursor() as cursor:
        # Roles are cluster-wide; create it once (production may create it beforehand).
        cursor.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = %s) THEN "
            f'CREATE ROLE "{role}" NOLOGIN; END IF; END $$;',
            [role],
        )
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            cursor.execute(f'GRANT "{role}" TO current_user')
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
