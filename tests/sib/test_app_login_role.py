"""The application logs in as its own role, not as the owner switching roles (issues 12, 16).

No session state stands between the application and the owner's privileges: `RESET ROLE`
leaves it where it logged in, and PgBouncer in transaction mode can pool its connections.
"""

from unittest import mock

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from sib.db.insert_only import insert_only_tables

pytestmark = pytest.mark.django_db


def _app_role() -> str:
    return connection.settings_dict["APP_ROLE"]


def _one(sql: str) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_the_app_logs_in_as_its_own_role_and_switches_to_none():
    assert _one("SELECT session_user") == _one("SELECT current_user") == _app_role()
    assert _app_role() != connection.settings_dict["OWNER"]["USER"]
    # Nothing was switched, so nothing can be switched back.
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    assert _one("SELECT current_user") == _app_role()


def test_the_app_role_is_no_superuser_and_owns_nothing():
    assert _one(f"SELECT rolsuper FROM pg_roles WHERE rolname = '{_app_role()}'") is False
    assert _one(f"SELECT rolinherit FROM pg_roles WHERE rolname = '{_app_role()}'") is False
    owned = _one(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = '{_app_role()}'"
    )
    assert owned == 0


def test_migrate_logs_in_as_the_owner_on_the_same_database():
    # owner_mode() itself reconnects, which a test's transaction cannot survive: this opens
    # the connection owner mode would open, beside the test's.
    with mock.patch("sib.db.base._owner_mode", True):
        params = connection.get_connection_params()
    with psycopg.connect(**params) as owner:
        session_user, database = owner.execute("SELECT session_user, current_database()").fetchone()
    assert session_user == connection.settings_dict["OWNER"]["USER"] != _app_role()
    assert database == connection.settings_dict["NAME"]


@pytest.mark.parametrize(
    "statement",
    [
        'UPDATE "{table}" SET "{column}" = "{column}" WHERE false',
        'DELETE FROM "{table}" WHERE false',
        'TRUNCATE "{table}"',
        'ALTER TABLE "{table}" DISABLE TRIGGER ALL',
        'DROP TRIGGER IF EXISTS "{table}_truncate_refused" ON "{table}"',
    ],
)
def test_the_app_role_may_not_rewrite_an_insert_only_table_or_its_triggers(statement):
    tables = insert_only_tables()
    assert {"payments_ledger_transaction", "sib_chain_entry", "outcomes_result"} <= set(tables)
    refused = []
    for table in tables:
        column = _one(
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_name = '{table}' AND ordinal_position = 1"
        )
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement.format(table=table, column=column))
        except DatabaseError as error:
            if "permission denied" in str(error) or "must be owner" in str(error):
                refused.append(table)
    assert refused == tables
