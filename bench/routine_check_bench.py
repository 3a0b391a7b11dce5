"""Time a routine chain check after 1,000 new entries beside the full check, at two sizes.

    DATABASE_URL=... python bench/routine_check_bench.py [--transactions 200000] [--new 1000]
        [--small 10000] [--repeat 5] [--full-repeat 2] [--batch 2000]

For each size (a small programme and a large one), in the same run:
1. appends N two-leg transactions through COPY (bench/ledger_bench.py's `append`: the
   deferred balance trigger at each commit), then gathers statistics as the owner (the
   application role's ANALYZE is skipped without a word);
2. times the full check as the worker runs it (`chain_check_run`, kind full: record keys,
   `chain_verify`, the signed checkpoints compared, a checkpoint signed at the head), and
   `chain_verify` alone (best of --full-repeat);
3. --repeat times: appends --new transactions, then times the routine check from the
   checkpoint the last check signed, `chain_verify_since` alone (it changes nothing),
   then as the worker runs it (`chain_check_run`, kind routine: the start found, its
   signature checked, the entries verified, a checkpoint signed at the new head);
4. the baseline: a pure-Python SHA-256 chain (hashlib, one link per entry over bytes as
   long as the entries' canonical text) over the same counts.

Goal (issue 16): a routine check after 1,000 new entries <= 0.1 s at any chain size.
"""

import argparse
import hashlib
import os
import statistics
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

from django.db import connection  # noqa: E402
from ledger_bench import _setup, append, machine  # noqa: E402

from sib.chain_checks import chain_check_request, chain_check_run  # noqa: E402
from sib.chain_routine import chain_verify_since  # noqa: E402
from sib.chain_verification import chain_verify  # noqa: E402
from sib.db.base import owner_mode  # noqa: E402
from sib.models import ChainCheckpoint  # noqa: E402

# A ledger entry's bytes as hashed: kind|id|canonical JSON (two legs), about this long.
_SAMPLE = (
    b'ledger_transaction|1234567|{"actor":null,"description":"Drawdown 123456","id":1234567,'
    b'"kind":"drawdown","legs":[[12345,"EUR",123456,0],[12346,"EUR",0,123456]],'
    b'"occurred_on":"2027-05-12","programme":123,"reason":"","reverses":null}'
)


def python_chain(count: int) -> float:
    """Seconds for a pure-Python SHA-256 chain of `count` links (the hashing floor)."""
    data = [_SAMPLE[:-8] + b"%08d" % i for i in range(count)]
    previous = b"0" * 64
    sha256 = hashlib.sha256
    started = time.perf_counter()
    for item in data:
        previous = sha256(item + previous).hexdigest().encode()
    return time.perf_counter() - started


def analyze() -> None:
    with owner_mode(), connection.cursor() as cursor:
        cursor.execute("ANALYZE payments_ledger_transaction, payments_leg, sib_chain_entry")


def timed(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - started, value


def one_size(size: int, new: int, repeat: int, full_repeat: int, batch: int) -> dict[str, float]:
    programme, cash_id, principal_id = _setup(size)
    started = time.perf_counter()
    append(programme, cash_id, principal_id, size, batch)
    print(f"{size:,} entries appended to {programme.slug} in {time.perf_counter() - started:.1f} s")
    analyze()
    asked = chain_check_request(programme=programme, user=None, kind="full")
    run_full, check = timed(chain_check_run, check_id=asked.pk)
    assert check.result["ok"] and check.to_seq >= size, check.result
    verify_times = []
    for _ in range(full_repeat):
        elapsed, verification = timed(chain_verify, programme_id=programme.pk)
        assert verification.ok
        verify_times.append(elapsed)
    routine_times, run_times = [], []
    for _ in range(repeat):
        # From the checkpoint the last check signed, --new entries later.
        checkpoint = ChainCheckpoint.objects.get(programme=programme, seq=check.to_seq)
        append(programme, cash_id, principal_id, new, batch)
        elapsed, routine = timed(
            chain_verify_since,
            programme_id=programme.pk,
            from_seq=checkpoint.seq,
            from_head=checkpoint.head,
            record_keys=check.result["record_keys"],
        )
        assert routine.ok and routine.entries == new, routine
        routine_times.append(elapsed)
        asked = chain_check_request(programme=programme, user=None, kind="routine")
        elapsed, check = timed(chain_check_run, check_id=asked.pk)
        assert check.kind == "routine" and check.result["ok"], check.result
        assert check.from_seq == checkpoint.seq and check.result["entries"] == new
        run_times.append(elapsed)
    figures = {
        "full check (worker)": run_full,
        "chain_verify, best": min(verify_times),
        "routine check (worker), best": min(run_times),
        "routine check (worker), median": statistics.median(run_times),
        "routine check (worker), worst": max(run_times),
        "chain_verify_since, best": min(routine_times),
        "chain_verify_since, median": statistics.median(routine_times),
        f"pure-Python SHA-256 x {size:,}": python_chain(size),
        f"pure-Python SHA-256 x {new:,}": python_chain(new),
    }
    load = os.getloadavg()[0]
    print(f"chain of {size:,} entries + {new:,} new (load average {load:.2f}):")
    for name, seconds in figures.items():
        print(f"  {name:34} {seconds * 1000:9.1f} ms")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=200_000, help="the large chain")
    parser.add_argument("--small", type=int, default=10_000, help="the small chain")
    parser.add_argument("--new", type=int, default=1_000, help="entries after the checkpoint")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of new entries")
    parser.add_argument("--full-repeat", type=int, default=2, help="chain_verify timed")
    # Rows per COPY: one COPY's cost grows with the square of its rows (20,000 rows in one:
    # 90 s; in batches of 2,000: about 10 s), most likely the chain head's statement
    # trigger joining its transition table to itself.
    parser.add_argument("--batch", type=int, default=2_000)
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    results = {
        size: one_size(size, args.new, args.repeat, args.full_repeat, args.batch)
        for size in (args.small, args.transactions)
    }
    worst = max(figures["routine check (worker), median"] for figures in results.values())
    print(
        f"routine check (worker) after {args.new:,} new entries: median {worst * 1000:.1f} ms "
        f"at the worst size (goal <= 100 ms at any size)"
    )


if __name__ == "__main__":
    main()
