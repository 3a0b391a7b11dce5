"""Grant the application role what it may do, after every migrate."""

from django.db import connections

from sib.db.insert_only import insert_only_tables


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
