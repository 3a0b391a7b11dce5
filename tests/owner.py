"""What someone holding the database owner's password could do to a stored row."""

from django.db import connection


def as_owner_bypassing_triggers(sql: str, params: list[object]) -> None:
    """Run `sql` as the owner with triggers off for the session (replica), then go back."""
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = origin")
            cursor.execute(f'SET ROLE "{connection.settings_dict["APP_ROLE"]}"')
