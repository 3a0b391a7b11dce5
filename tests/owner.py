"""What someone holding the database owner's password could do to a stored row."""

from django.db import connection


def as_owner_bypassing_triggers(sql: str, params: list[object]) -> None:
    """Run `sql` as the owner with triggers off for the session (replica), then go back."""
    with connection.cursor() as cursor:
        # Deferred checks still pending from the test's own writes (the chain completeness
        # trigger, the balance rule) run now, on the rows as they were written: the owner's
        # edit comes after the commit it tampers with, not inside it.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(f'SET ROLE "{connection.settings_dict["OWNER"]["USER"]}"')
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = origin")
            cursor.execute("RESET ROLE")
