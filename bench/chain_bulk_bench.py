"""Bulk chain inserts: N entries in one statement beside the same entries in batches.

    DATABASE_URL=... python bench/chain_bulk_bench.py [--rows 5000 20000] [--batch 2000]
        [--repeat 1] [--no-former]

The chain head's statement trigger (`sib_chain_head_advance`) checks every statement's new
entries. Its check is planned once per session, at its first call; in the application that
call is one entry (a service's `chain_append`). For each N, in the same run, each timing
in a new session that first sets up a programme through the services (which chains its
terms: that first, one-entry call) and COPYs N two-leg drawdowns and their legs (not
timed), this times the COPY of their N chain entries:

- in one statement (COPY), what a bulk load does;
- in statements of --batch rows (2,000, as bench/ledger_bench.py appends): the baseline;

with the trigger in place (sib.0017), and with the former one (sib.0009's), put back inside
the measuring transaction, which is rolled back: nothing of it is ever committed.

Then, for each N, the deferred checks a commit runs (balance, completeness), timed by
`SET CONSTRAINTS ALL IMMEDIATE` after a one-statement load, with the statistics made stale
first: a second session VACUUMs the loaded tables while the load is still uncommitted, as
autovacuum may at any time (it then records the tables as empty: the load's rows are not
yet there for it). With the balance check in place (payments.0016) and with the former one
(payments.0002's), put back inside the rolled-back transaction.

Every timed transaction is rolled back but one: the one-statement load of the largest N
with both in place, statistics made stale the same way, committed as the application role
(the commit timed apart) and then checked by `chain_verify`. Connects as the schema owner
to put the former functions back: run it on a database of its own.

Goal (issue 16): one statement about as fast as batches (linear), not the square of N;
a commit's checks linear too, whatever autovacuum did meanwhile.
"""

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sib.settings")

import django

from sib.database import ensure_started

ensure_started()  # an entry point: the embedded PostgreSQL, unless DATABASE_URL is set
django.setup()

import psycopg  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from ledger_bench import (  # noqa: E402
    CHAIN_COPY,
    LEG_COPY,
    TX_COPY,
    _setup,
    chain_state,
    copy_rows,
    machine,
    transaction_rows,
)
from psycopg import sql  # noqa: E402

from sib.chain_verification import chain_verify  # noqa: E402
from sib.database import database_url  # noqa: E402
from sib.db.base import owner_mode  # noqa: E402

TRIGGER = importlib.import_module("sib.migrations.0017_chain_head_check_linear")
BALANCE = importlib.import_module(
    "payments.migrations.0016_balance_check_reads_legs_by_transaction"
)
LOADED = ("payments_ledger_transaction", "payments_leg", "sib_chain_entry")


class _RolledBack(Exception):
    """Leave the measuring transaction without committing it."""


def _stale_statistics() -> None:
    """VACUUM the loaded tables from another session, as autovacuum may during a load."""
    with psycopg.connect(database_url(), autocommit=True) as owner:
        for table in LOADED:
            owner.execute(sql.SQL("VACUUM {}").format(sql.Identifier(table)))


def _load(
    rows: int,
    batch: int,
    former: bool,
    commit: bool,
    *,
    checks: bool = False,
    former_balance: bool = False,
) -> tuple[float, float, int]:
    """Time one load in a new session; return (COPY s, checks or commit s, programme id).

    With `checks` (or `commit`): the statistics made stale after the load, then its deferred
    checks timed (SET CONSTRAINTS ALL IMMEDIATE, rolled back), or its commit.
    """
    connections.close_all()  # a new session: the trigger's plans are made afresh
    checked = 0.0
    try:
        with transaction.atomic():
            if former or former_balance:
                with connection.cursor() as cursor:
                    if former:
                        cursor.execute(TRIGGER.FORMER_FUNCTION)
                    if former_balance:
                        cursor.execute(BALANCE.FORMER_FUNCTION)
            # Through the services: the trigger's first call, one entry (a contract version).
            programme, cash_id, principal_id = _setup(rows)
            raw = connection.connection
            with raw.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval('payments_ledger_transaction_id_seq') "
                    "FROM generate_series(1, %s)",
                    [rows],
                )
                ids = [row[0] for row in cursor.fetchall()]
                seq, previous = chain_state(programme)
                tx_rows, leg_rows, chain_rows = transaction_rows(
                    programme, cash_id, principal_id, ids, seq, previous
                )
                copy_rows(cursor, TX_COPY, tx_rows)
                copy_rows(cursor, LEG_COPY, leg_rows)
                started = time.perf_counter()
                for start in range(0, rows, batch):
                    copy_rows(cursor, CHAIN_COPY, chain_rows[start : start + batch])
                copied = time.perf_counter() - started
                if checks or commit:
                    _stale_statistics()
                if checks:
                    started = time.perf_counter()
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    checked = time.perf_counter() - started
            if not commit:
                raise _RolledBack
            started = time.perf_counter()
    except _RolledBack:
        return copied, checked, programme.pk
    return copied, time.perf_counter() - started, programme.pk


def _best(repeat: int, rows: int, batch: int, former: bool) -> float:
    """The best COPY time of `repeat` rolled-back loads."""
    return min(_load(rows, batch, former, False)[0] for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[5_000, 20_000])
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=1, help="timings per figure; the best")
    parser.add_argument(
        "--no-former", action="store_true", help="skip the former trigger (about 90 s at 20,000)"
    )
    parser.add_argument(
        "--no-former-balance",
        action="store_true",
        help="skip the former balance check (minutes at 20,000: the square of N)",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    print(f"{'trigger':<16} {'rows':>7} {'one statement':>14} {'batches':>9} {'ratio':>6}")
    triggers = [("sib.0017 (now)", False)] + ([] if args.no_former else [("sib.0009", True)])
    with owner_mode():
        for label, former in triggers:
            for rows in args.rows:
                one = _best(args.repeat, rows, rows, former)
                batched = _best(args.repeat, rows, args.batch, former)
                print(
                    f"{label:<16} {rows:>7,} {one:>12.2f} s {batched:>7.2f} s "
                    f"{one / batched:>6.2f}  (load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
        print("deferred checks after one statement, statistics made stale mid-load:")
        print(f"{'balance check':<16} {'rows':>7} {'checks':>10}")
        checks = [("payments.0016", False)]
        checks += [] if args.no_former_balance else [("payments.0002", True)]
        for label, former_balance in checks:
            for rows in args.rows:
                _, checked, _ = _load(
                    rows, rows, False, False, checks=True, former_balance=former_balance
                )
                print(
                    f"{label:<16} {rows:>7,} {checked:>8.2f} s  (load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
    # Committed, as the application role: the invariants still hold after a bulk load.
    rows = max(args.rows)
    copied, committed, programme_id = _load(rows, rows, False, True)
    result = chain_verify(programme_id=programme_id)
    state = "ok" if result.ok else f"BROKEN at {result.first_break}"
    print(
        f"committed: {rows:,} entries in one COPY {copied:.2f} s, commit {committed:.2f} s "
        f"(deferred balance and completeness triggers, statistics made stale mid-load); "
        f"chain_verify: {result.entries} entries, {state}"
    )
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    if not result.ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
