"""Time one verification on a large programme, with and without booking its outcome due.

    DATABASE_URL=... python bench/verification_bench.py [--runs 20]

Builds (once, slug `verify-bench`) a programme with 1 000 verified rate-card results
(10 metrics x 10 cohorts x 10 periods) and 100 payments received, then times `runs`
verifications of new results, alternating two ways in the same run so that the
machine's load falls on both alike:

- baseline: the verification as it was before the accrual ledger (the decision, its chain
  entry, the recompute enqueued): the payments receiver is disconnected;
- accrual: the same, plus what it books in the same transaction: the `outcome_due`
  posting of the difference, priced from the result's own cell when no rule reaches
  beyond it (payments.accrual_cell: this verification, an interim declared additional
  under a contract cap far above what is verified), else by a fresh engine run over
  every verified result.

Beside them, in the same run: one engine run over every result (what the accrual cost
before the cell path, and still costs when a rule reaches beyond the cell), and one
balanced chained posting alone (`ledger.transaction_post` of the three legs a due
books, in a transaction rolled back): the least any accrual that books in the
verification's transaction can add.

Each verification runs in a transaction rolled back afterwards, so every run sees the
same 1 000 results. Prints the median and best of each and their ratio; then this
process's CPU time (process_time) for the baseline, the accrual and the posting alone,
which the machine's load moves far less than the wall time, and the SQL statements of one
transaction each way. Goal (issue 11): accrual <= 1.5 x baseline.
"""

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sib.settings")

import django

from sib.database import ensure_started

ensure_started()  # an entry point: the embedded PostgreSQL, unless DATABASE_URL is set
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from outcomes import services as outcomes  # noqa: E402
from outcomes.models import Cohort, MeasurementPeriod, Metric  # noqa: E402
from outcomes.signals import outcome_facts_changed  # noqa: E402
from payments import accrual as accrual_module  # noqa: E402
from payments import ledger  # noqa: E402
from payments import services as payments  # noqa: E402
from payments.accrual import outcome_due_reconcile  # noqa: E402
from payments.models import AccountKind, TransactionKind  # noqa: E402
from payments.outcome_payments import outcome_payments_compute  # noqa: E402
from payments.receivers import book_outcome_payments_due  # noqa: E402
from sib import clock  # noqa: E402
from sib import services as sib  # noqa: E402
from sib.models import Membership, Organisation, Programme, User  # noqa: E402

SLUG = "verify-bench"
N = 10
# This process's CPU time (process_time) of each timed step: Python, the ORM and the
# driver, without the server's share, and far less moved by the machine's load than the
# wall time.
CPU: dict[tuple[str, bool], list[float]] = defaultdict(list)


def _user(name: str) -> User:
    return User.objects.get_or_create(username=f"{SLUG}-{name}")[0]


def build() -> Programme:
    existing = Programme.objects.filter(slug=SLUG).first()
    if existing is not None:
        return existing
    manager, evaluator, lead = _user("manager"), _user("evaluator"), _user("lead")
    programme = sib.programme_create(
        creator=manager,
        name="Verification bench",
        slug=SLUG,
        currency="EUR",
        start_date=date(2026, 1, 1),
        end_date=date(2030, 12, 31),
        contract_cap=10**12,
    )
    for slug, share in (("verify-bench-state", 70), ("verify-bench-dept", 30)):
        payer = Organisation.objects.get_or_create(
            slug=slug, defaults={"name": slug, "kinds": ["outcome_payer"]}
        )[0]
        sib.programme_party_add(
            programme=programme, organisation=payer, role="outcome_payer", payer_share=share
        )
    programme = sib.programme_activate(programme=programme)
    Membership.objects.create(user=evaluator, programme=programme, role="evaluator")
    Membership.objects.create(user=lead, programme=programme, role="lead_evaluator")
    for i in range(N):
        outcomes.cohort_create(programme=programme, code=f"c{i}", name=f"c{i}", planned_size=1000)
        outcomes.period_create(
            programme=programme,
            code=f"p{i}",
            name=f"p{i}",
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
        )
    for i in range(N):
        outcomes.metric_create(
            programme=programme,
            code=f"m{i}",
            name=f"m{i}",
            definition="bench",
            unit="participant_outcome",
            mechanism={"kind": "rate_card", "price": 10_000 + i},
            cohorts=[f"c{j}" for j in range(N)],
            periods=[f"p{j}" for j in range(N)],
        )
    # The 1 000 results are verified with the receiver off, then booked once.
    outcome_facts_changed.disconnect(dispatch_uid="payments.accrual")
    try:
        for metric in Metric.objects.filter(programme=programme):
            for cohort in Cohort.objects.filter(programme=programme):
                for period in MeasurementPeriod.objects.filter(programme=programme):
                    result = outcomes.result_submit(
                        programme=programme,
                        user=evaluator,
                        metric=metric,
                        cohort=cohort,
                        period=period,
                        stage="interim",
                        values=outcomes.ResultValues(value=Decimal(3)),
                    )
                    outcomes.result_verify(result=result, user=lead)
    finally:
        outcome_facts_changed.connect(book_outcome_payments_due, dispatch_uid="payments.accrual")
    with transaction.atomic():
        outcome_due_reconcile(programme=programme, on=date(2026, 12, 1))
    state = Organisation.objects.get(slug="verify-bench-state")
    for day in range(100):
        payments.payment_received_record(
            programme=programme,
            payer=state,
            amount=1_000,
            received_on=date(2026, 12, 1),
            actor=manager,
            description=f"bench payment {day}",
        )
    return programme


def one_verification(programme: Programme, accrual: bool, cell_path: bool = True) -> float:
    evaluator, lead = _user("evaluator"), _user("lead")
    metric = Metric.objects.get(programme=programme, code="m0")
    cohort = Cohort.objects.get(programme=programme, code="c0")
    period = MeasurementPeriod.objects.get(programme=programme, code="p0")
    if not accrual:
        outcome_facts_changed.disconnect(dispatch_uid="payments.accrual")
    try:
        with transaction.atomic():
            result = outcomes.result_submit(
                programme=programme,
                user=evaluator,
                metric=metric,
                cohort=cohort,
                period=period,
                stage="interim",
                # A second interim in a verified cell counts only when declared beside
                # it (outcomes.cells); as one, it adds to the cell's payment line.
                values=outcomes.ResultValues(
                    value=Decimal(2), additional=True, additional_reason="bench"
                ),
            )
            start, cpu = time.perf_counter(), time.process_time()
            if cell_path:
                outcomes.result_verify(result=result, user=lead)
            else:
                # As before the cell path: the engine's full run for every verification.
                with mock.patch.object(accrual_module, "cell_due_change", return_value=None):
                    outcomes.result_verify(result=result, user=lead)
            elapsed = time.perf_counter() - start
            CPU[("accrual" if accrual else "baseline", cell_path)].append(time.process_time() - cpu)
            transaction.set_rollback(True)
    finally:
        outcome_facts_changed.connect(book_outcome_payments_due, dispatch_uid="payments.accrual")
    return elapsed


def engine_floor(programme: Programme) -> float:
    """Time one engine run over every verified result: the least a correct accrual does
    while caps (contract, per metric, per participant) depend on all results at once."""
    start = time.perf_counter()
    outcome_payments_compute(programme=programme)
    return time.perf_counter() - start


def posting_floor(programme: Programme) -> float:
    """Time one balanced chained posting of a due's three legs, rolled back."""
    payers = Organisation.objects.filter(slug__in=("verify-bench-state", "verify-bench-dept"))
    with transaction.atomic():
        accounts = [
            ledger.account_for(
                programme=programme, kind=AccountKind.PAYER_RECEIVABLE, organisation=p
            )
            for p in payers
        ]
        income = ledger.account_for(programme=programme, kind=AccountKind.OUTCOME_INCOME)
        legs = [
            *(ledger.LegSpec(a, debit=7_000) for a in accounts),
            ledger.LegSpec(income, credit=14_000),
        ]
        start, cpu = time.perf_counter(), time.process_time()
        ledger.transaction_post(
            programme=programme,
            kind=TransactionKind.OUTCOME_DUE,
            occurred_on=date(2026, 12, 1),
            legs=legs,
            description="bench posting",
        )
        elapsed = time.perf_counter() - start
        CPU[("posting", True)].append(time.process_time() - cpu)
        transaction.set_rollback(True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with clock.frozen_today(date(2026, 12, 31)):
        programme = build()
        times: dict[bool, list[float]] = {False: [], True: []}
        full_run: list[float] = []
        floor: list[float] = []
        posting: list[float] = []
        for _ in range(args.runs):
            for accrual in (False, True):
                times[accrual].append(one_verification(programme, accrual))
            full_run.append(one_verification(programme, True, cell_path=False))
            floor.append(engine_floor(programme))
            posting.append(posting_floor(programme))
    base, after = times[False], times[True]
    print(f"verification on {SLUG}: 1 000 verified results, 100 payments, {args.runs} runs each")
    for name, values in (
        ("baseline (no accrual)", base),
        ("accrual", after),
        ("accrual, full run always", full_run),
    ):
        print(
            f"  {name:24} median {statistics.median(values) * 1000:7.1f} ms"
            f"  best {min(values) * 1000:7.1f} ms"
        )
    print(
        f"  {'engine run alone (floor)':24} median {statistics.median(floor) * 1000:7.1f} ms"
        f"  best {min(floor) * 1000:7.1f} ms"
    )
    print(
        f"  {'one posting alone':24} median {statistics.median(posting) * 1000:7.1f} ms"
        f"  best {min(posting) * 1000:7.1f} ms"
    )
    ratio = statistics.median(after) / statistics.median(base)
    print(f"  ratio (median)           {ratio:7.2f} x   goal <= 1.5 x")
    full_ratio = statistics.median(full_run) / statistics.median(base)
    print(f"  full-run ratio (median)  {full_ratio:7.2f} x   the accrual before the cell path")
    floor_ratio = (statistics.median(base) + statistics.median(floor)) / statistics.median(base)
    print(f"  engine ratio (median)    {floor_ratio:7.2f} x   baseline + one engine run")
    posting_ratio = (statistics.median(base) + statistics.median(posting)) / statistics.median(base)
    print(f"  posting ratio (median)   {posting_ratio:7.2f} x   baseline + one posting (floor)")
    cpu = {key: statistics.median(values) for key, values in CPU.items()}
    print(
        "  CPU of this process (median): baseline {:.1f} ms, accrual {:.1f} ms ({:.2f} x),"
        " one posting alone {:.1f} ms".format(
            cpu[("baseline", True)] * 1000,
            cpu[("accrual", True)] * 1000,
            cpu[("accrual", True)] / cpu[("baseline", True)],
            cpu[("posting", True)] * 1000,
        )
    )
    counted = {}
    for accrual in (False, True):
        with CaptureQueriesContext(connection) as queries:
            one_verification(programme, accrual)
        counted[accrual] = len(queries.captured_queries)
    print(
        f"  SQL statements (whole transaction, submission included): baseline {counted[False]},"
        f" accrual {counted[True]}"
    )


if __name__ == "__main__":
    main()
