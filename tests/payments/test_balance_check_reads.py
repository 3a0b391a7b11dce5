"""The balance rule's check, at commit, reads each transaction's own legs and no others.

It runs once for every ledger transaction and every leg a database transaction inserted. If
it read the legs of an account instead (a plan made while the statistics call the table
empty), a bulk load's commit would read every leg once per leg: the square of the load.
"""

from datetime import date
from unittest import mock

import psycopg
import pytest
from django.db import connection, transaction

from payments import ledger
from payments.models import AccountKind, LedgerTransaction, Leg
from tests.payments.ledger_support import make_deal

pytestmark = pytest.mark.django_db

LOADED = 2_000


class _Undone(Exception):
    """Leave the load uncommitted: its rows have no chain entries, which is beside the point."""


def _legs_read() -> int:
    """Rows of payments_leg this transaction has read so far, by any scan."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seq_tup_read + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables "
            "WHERE relname = 'payments_leg'"
        )
        return int(cursor.fetchone()[0])


def _vacuum_from_another_session(table: str) -> None:
    """What autovacuum may do during a load: count its uncommitted rows as not there."""
    # The connection owner mode opens (as tests/sib/test_app_login_role does), so that the
    # embedded server's socket and the system server's host both work.
    with mock.patch("sib.db.base._owner_mode", True):
        params = connection.get_connection_params()
    with psycopg.connect(**params) as other:
        other.autocommit = True
        other.execute(psycopg.sql.SQL("VACUUM {}").format(psycopg.sql.Identifier(table)))


def test_balance_checks_read_each_transactions_two_legs_even_with_stale_statistics():
    """2,000 payments received, each cash debit 100 against the payer's receivable credit
    100, all on the same two accounts; autovacuum has just recorded payments_leg as empty.

    The checks run 3 times a transaction (for it and each of its 2 legs), each reading its
    2 legs: 3 x 2 x 2,000 = 12,000 leg reads at most. The former check's query, planned on
    those statistics, read the whole account_id index, all 4,000 legs, for each check:
    6,000 x 4,000 = 24,000,000 (what this test counted with payments.0002's function).
    """
    deal = make_deal("balance-reads")
    cash = ledger.account_for(programme=deal.programme, kind=AccountKind.PROGRAMME_CASH)
    receivable = ledger.account_for(
        programme=deal.programme, kind=AccountKind.PAYER_RECEIVABLE, organisation=deal.payer
    )
    with pytest.raises(_Undone), transaction.atomic():
        transactions = LedgerTransaction.objects.bulk_create(
            LedgerTransaction(
                programme=deal.programme, kind="payment_received", occurred_on=date(2026, 2, 1)
            )
            for _ in range(LOADED)
        )
        Leg.objects.bulk_create(
            leg
            for tx in transactions
            for leg in (
                Leg(transaction=tx, account=cash, debit=100, currency="EUR"),
                Leg(transaction=tx, account=receivable, credit=100, currency="EUR"),
            )
        )
        _vacuum_from_another_session("payments_leg")
        before = _legs_read()
        with connection.cursor() as cursor:
            cursor.execute(
                "SET CONSTRAINTS payments_leg_balanced, payments_transaction_balanced IMMEDIATE"
            )
        read = _legs_read() - before
        raise _Undone
    assert read <= 3 * 2 * LOADED
