"""Bench `programme_load` of a running bond: milliseconds per history entry.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sib_bench \\
        .venv/bin/python bench/programme_load_bench.py [--entries 1000] [--repeat 3]

Loads the demo programme (sib.demo) three times per round, each under a new slug: once
with no history, then twice with --entries history entries (drawdowns spread over the
contract's days, interleaved with outcome payments of the payers, every fifth a payment
flagged as an advance so that no due is needed): one service call per entry
(`history_one_by_one`, the path before the batched one) and batched
(payments.history_posting). The difference divided by the entries is the cost of one
entry: its validation, its checks, its ledger posting and its chain link. Prints each
round, with the SQL statements per entry (a count the machine's load does not change,
unlike the milliseconds), and the best of each path (the goal of issue 15: at most 3 ms
per entry; about 17 ms when it was filed).

Measured (2026-12-04, 2 cores shared, load average ~7.5): batched 1.48-3.59 ms and 0.04
SQL statements per entry (about 40 for the whole history); one by one 34.7-44.0 ms and
24.41 statements per entry. Before (2026-12-03, load average ~10): 24.4 statements and
80-120 ms per entry one by one, 29.0 statements before the load looked up commitments and
payers once and `account_for` read first.

The programmes stay (the ledger is insert-only): point it at a scratch database, migrated
first (`manage.py migrate`).
"""

import argparse
import contextlib
import copy
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sib.settings")

import django

from sib.database import ensure_started

ensure_started()  # an entry point: the embedded PostgreSQL, unless DATABASE_URL is set

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from payments.history_format import history_one_by_one  # noqa: E402
from sib.demo import demo_definition  # noqa: E402
from sib.models import User  # noqa: E402
from sib.programme_format import programme_definition_load  # noqa: E402


def _document(entries: int, stamp: str) -> dict:  # type: ignore[type-arg]
    document = copy.deepcopy(demo_definition())
    document["programme"]["slug"] = f"load-bench-{stamp}"
    [senior] = [t for t in document["tranches"] if t["key"] == "senior"]
    for commitment in senior["commitments"]:
        commitment["amount"] = 10**9  # room for every drawdown below
    history = document["history"]
    history["results"] = []
    drawdowns, payments = [], []
    first = date(2026, 1, 2)
    for i in range(entries):
        on = (first + timedelta(days=i % 300)).isoformat()
        if i % 5 == 4:
            payer = "etat" if i % 2 else "departement-13"
            payments.append({"on": on, "payer": payer, "amount": 100, "advance": True})
        else:
            drawdowns.append(
                {"on": on, "tranche": "senior", "investor": "banque-solidaire", "amount": 1_000}
            )
    history["drawdowns"] = drawdowns
    history["payments_received"] = payments
    return document


def _load(entries: int, stamp: str, creator: User, one_by_one: bool) -> tuple[float, int]:
    """Return the seconds and the SQL statements the load took."""
    document = _document(entries, stamp)
    statements = 0

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        # Counted, not logged: CaptureQueriesContext keeps only the last 9,000 statements,
        # and a round of 1,000 entries runs more (it printed a negative count).
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    path = history_one_by_one() if one_by_one else contextlib.nullcontext()
    with connection.execute_wrapper(count), path:
        started = time.perf_counter()
        programme_definition_load(document, creator=creator)
        seconds = time.perf_counter() - started
    return seconds, statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for name in ("evaluator", "lead"):
        User.objects.get_or_create(username=name)
    creator, _ = User.objects.get_or_create(username="bench-manager")
    # Not counted: the first load of a process warms its caches (about 6 s instead of 2).
    _load(0, timezone.now().strftime("%Y%m%d%H%M%S%f-warm"), creator, one_by_one=False)
    best: dict[str, float] = {}
    for round_ in range(1, args.repeat + 1):
        stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
        empty, empty_sql = _load(0, f"{stamp}-empty", creator, one_by_one=False)
        print(f"round {round_}: no history {empty * 1_000:.0f} ms")
        for name, one_by_one in (("one by one", True), ("batched", False)):
            full, full_sql = _load(args.entries, f"{stamp}-{name[0]}", creator, one_by_one)
            ms = (full - empty) * 1_000 / args.entries
            best[name] = min(best.get(name, ms), ms)
            print(
                f"  {name}: {args.entries} entries {full * 1_000:.0f} ms: {ms:.2f} ms and "
                f"{(full_sql - empty_sql) / args.entries:.2f} SQL statements per entry"
            )
    for name, ms in best.items():
        print(f"best {name}: {ms:.2f} ms per entry (goal: at most 3)")


if __name__ == "__main__":
    main()
