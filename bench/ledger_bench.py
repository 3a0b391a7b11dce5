"""Append N ledger transactions (2 legs each) to one programme's chain, then verify the chain.

    DATABASE_URL=... python bench/ledger_bench.py [--transactions 1000000] [--batch 50000]
    DATABASE_URL=... python bench/ledger_bench.py --verify-only SLUG   # an earlier run's

Rows go in through COPY as the application role, in batches of one database transaction
each, so the deferred balance trigger checks every transaction at each commit, exactly as
for a posting from the API. Canonical JSON and hashes are computed here with the same
sib.chain functions; the verification at the end proves they match what PostgreSQL
rebuilds from the stored rows. Goal: verify <= 3 s for 1 000 000 transactions.
"""

import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sib.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from payments import ledger, services  # noqa: E402
from payments.models import AccountKind, TrancheKind  # noqa: E402
from sib.chain import GENESIS, canonical_json, chain_verify, entry_bytes, link_hash  # noqa: E402
from sib.models import Organisation, Programme  # noqa: E402


def _setup(size: int) -> tuple[Programme, int, int]:
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    programme = Programme.objects.create(
        name=f"Ledger bench {stamp}",
        slug=f"ledger-bench-{stamp}",
        currency="EUR",
        start_date=date(2026, 1, 1),
        end_date=date(2030, 12, 31),
        contract_cap=10**12,
    )
    bank = Organisation.objects.create(
        name=f"Bank {stamp}", slug=f"bank-{stamp}", kinds=["investor"]
    )
    tranche = services.tranche_create(
        programme=programme,
        key="senior",
        name="Senior",
        kind=TrancheKind.SENIOR_LOAN,
        priority=1,
    )
    commitment = services.commitment_create(
        tranche=tranche, investor=bank, amount=10**15, committed_on=date(2026, 1, 1)
    )
    cash = ledger.account_for(programme=programme, kind=AccountKind.PROGRAMME_CASH)
    principal = ledger.account_for(
        programme=programme, kind=AccountKind.INVESTOR_PRINCIPAL, commitment=commitment
    )
    return programme, cash.pk, principal.pk


def append(programme: Programme, cash_id: int, principal_id: int, total: int, batch: int) -> None:
    raw = connection.connection
    seq, previous = 0, GENESIS
    start_day = date(2026, 1, 1)
    now = timezone.now()
    done = 0
    while done < total:
        n = min(batch, total - done)
        with transaction.atomic(), raw.cursor() as cursor:
            cursor.execute(
                "SELECT nextval('payments_ledger_transaction_id_seq') FROM generate_series(1, %s)",
                [n],
            )
            ids = [row[0] for row in cursor.fetchall()]
            tx_rows, leg_rows, chain_rows = [], [], []
            for k, tx_id in enumerate(ids):
                amount = 100 + (done + k) % 997_000
                on = start_day + timedelta(days=(done + k) % 1800)
                description = f"Drawdown {done + k}"
                tx_rows.append(
                    (tx_id, programme.pk, "drawdown", on, description, None, "", None, "", now)
                )
                leg_rows.append((tx_id, cash_id, amount, 0, "EUR"))
                leg_rows.append((tx_id, principal_id, 0, amount, "EUR"))
                canonical = canonical_json(
                    {
                        "actor": None,
                        "description": description,
                        "id": tx_id,
                        "kind": "drawdown",
                        "legs": [[cash_id, "EUR", amount, 0], [principal_id, "EUR", 0, amount]],
                        "occurred_on": on.isoformat(),
                        "programme": programme.pk,
                        "reason": "",
                        "reverses": None,
                    }
                )
                seq += 1
                object_id = str(tx_id)
                digest = link_hash(
                    entry_bytes("ledger_transaction", object_id, canonical), previous
                )
                chain_rows.append(
                    (
                        programme.pk,
                        seq,
                        "ledger_transaction",
                        object_id,
                        previous,
                        digest,
                        False,
                        now,
                    )
                )
                previous = digest
            with cursor.copy(
                "COPY payments_ledger_transaction (id, programme_id, kind, occurred_on, "
                "description, reverses_id, reason, actor_id, idempotency_key, created_at) "
                "FROM STDIN"
            ) as copy:
                for row in tx_rows:
                    copy.write_row(row)
            with cursor.copy(
                "COPY payments_leg (transaction_id, account_id, debit, credit, currency) FROM STDIN"
            ) as copy:
                for row in leg_rows:
                    copy.write_row(row)
            with cursor.copy(
                "COPY sib_chain_entry (programme_id, seq, kind, object_id, previous_hash, "
                "hash, imported, created_at) FROM STDIN"
            ) as copy:
                for row in chain_rows:
                    copy.write_row(row)
        done += n
        print(f"  {done:>9} transactions appended", file=sys.stderr, end="\r")
    print(file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument(
        "--verify-only",
        metavar="SLUG",
        help="only verify the chain of a programme an earlier run appended (ledger-bench-...)",
    )
    args = parser.parse_args()

    if args.verify_only:
        programme = Programme.objects.get(slug=args.verify_only)
    else:
        programme, cash_id, principal_id = _setup(args.transactions)
        print(f"programme {programme.slug}")
        started = time.perf_counter()
        append(programme, cash_id, principal_id, args.transactions, args.batch)
        elapsed = time.perf_counter() - started
        print(
            f"appended {args.transactions} transactions ({2 * args.transactions} legs) "
            f"in {elapsed:.1f} s: {args.transactions / elapsed:,.0f} transactions/s"
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE payments_ledger_transaction, payments_leg, sib_chain_entry")
    for attempt in (1, 2, 3):
        started = time.perf_counter()
        result = chain_verify(programme_id=programme.pk)
        elapsed = time.perf_counter() - started
        state = "ok" if result.ok else f"BROKEN at {result.first_break}"
        print(f"verify #{attempt}: {result.entries} entries in {elapsed:.2f} s ({state})")
        if not result.ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
