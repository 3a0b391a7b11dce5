"""One verification's due from its own cell, when no rule can move any other line.

The accrual (payments.accrual) books what the payers owe as the difference between a
fresh engine run over every verified result and what the ledger shows as due: exact
whatever the rules, but a full run reads and prices every result (about 30 ms of Python
at 1 000 results, bench/verification_bench.py) to book, most of the time, the change of
one payment line. When a verification can only change its own cell's line (metric x
cohort x period), that change is the line's split after the verification less its split
before, both priced from the cell's own results: `cell_due_change` returns it, or None
when a rule reaches beyond the cell, and the accrual then runs the engine as before.

The difference equals what the full run books because of one invariant: before the
verification, the ledger's dues ARE the engine's plan. Every write that changes what the
plan reads books its own difference in its own transaction (outcomes' verifications and
disputes through `outcome_facts_changed`; a termination or a variation through
`programme_terms_changed`; metrics, payers and payment terms are fixed once the programme
is active), and tests/payments/test_position_properties.py checks it after every step of
random histories. What the plan reads that moves WITHOUT such a booking (the savings
switch, which follows repayments) sends the verification to the full run.

tests/payments/test_accrual_cell_properties.py checks, on random rules and histories,
that this path books to the cent what the full run books.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count

from outcomes.cells import CellResult, replaced_interims
from outcomes.mechanisms import (
    RateCardMechanism,
    SavingsShareMechanism,
    TrackedMechanism,
    UndisclosedMechanism,
    to_cents,
)
from outcomes.models import Decision, ParticipantRecord, Result, ReviewVerdict
from outcomes.rule_json import RuleError
from payments.contract import programme_rules_of
from payments.models import AccountKind, TransactionKind
from payments.outcome_payments import programme_terminated_on
from payments.rules.payers import split_line
from payments.rules.programme import ProgrammeRules
from sib.models import Programme

# Mechanisms whose claims a bound on the caps can price without the engine: a rate card
# pays count x price; tracked and undisclosed metrics pay nothing.
_BOUNDED = (RateCardMechanism, TrackedMechanism, UndisclosedMechanism)


@dataclass(frozen=True)
class _Row:
    pk: int
    cell: tuple[int, int, int]
    amends: int | None
    stage: str
    from_participants: bool
    value: Decimal


@dataclass(frozen=True)
class CellChange:
    """What one verification changes, when only its cell's payment line can move."""

    # payer slug -> how much more (negative: less) it owes; payers unchanged left out.
    change: dict[str, int]
    # Whether an outcome due was booked before (the posting says "restated" then).
    due_booked: bool
    # Whether any payer has an advance account (else no advance can be applied).
    advanced: bool


def cell_due_change(*, programme: Programme, result: Result) -> CellChange | None:
    """Return what verifying `result` changes in what each payer owes, when only the
    result's own cell can change; None when a rule reaches beyond the cell (the accrual
    then runs the engine over every result).

    Raises RuleError when the cell's results cannot be priced, as the engine would.
    """
    # Each test below names the rule that can move a line of another cell (or make the
    # ledger's dues differ from the plan before this verification): any one of them sends
    # the verification to the full run. Cheapest first.
    if result.from_participants:
        # A participant is paid for a metric as often as it allows over the WHOLE
        # contract (other periods' records) and the participant cap adds up what one
        # person earns over every cell: pricing a participant needs all results.
        return None
    if programme_terminated_on(programme) is not None:
        # Results dated after a termination stop paying and a pooled threshold decides
        # on what is there: the engine applies it to every line.
        return None
    rows, (metric_code, cohort_code, dated) = _cell_rows(result)
    cell = (result.metric_id, result.cohort_id, result.period_id)
    if any(row.cell != cell for row in rows) or result.pk not in {row.pk for row in rows}:
        # An amendment from another cell (the services never make one) would move two
        # lines; a result not verified is no verification to book.
        return None
    flags = _flags(programme)
    rules = programme_rules_of(
        programme=programme, version=flags.contract_id, digest=flags.contract_digest
    )
    metric = rules.metric(metric_code)
    if not isinstance(metric.mechanism, RateCardMechanism):
        # A comparison pools cohorts against thresholds, a target reads the cohort's
        # size and leavers, a savings share prices in date order against the repayment
        # target, absolute and banded mechanisms compare groups: each prices a cell from
        # others. Only a rate card prices a cell from its own counts.
        return None
    if any(isinstance(m.mechanism, SavingsShareMechanism) for m in rules.metrics):
        # The savings switch moves with what investors were repaid: a payment received
        # changes the plan without booking it, so the dues may lag the plan (the
        # invariant this path stands on).
        return None
    if flags.varied:
        # A variation reprices or stops claims by date and a grant adds a claim under
        # the contract's and the payers' caps.
        return None
    if flags.disputed or flags.held:
        # What a dispute holds is priced by engine runs without the disputed results,
        # and an amendment or a withdrawal releases it. Open: not withdrawn, whatever
        # its result's state (one superseded since still holds until the next full run
        # releases it: `held`).
        return None
    before, after = _counted(rows, cell, leave_out=result.pk), _counted(rows, cell)
    if any(row.from_participants for row in (*before, *after)):
        # Participant-backed results in the cell: see the first test.
        return None
    counts = {row.pk: _count(row) for row in (*before, *after)}
    if any(count < 0 for count in counts.values()):
        return None  # the engine refuses it, naming the result: let it say so
    # Every claim of the cell is dated at its period's end, so one (indexed) price.
    price = rules.price_on(metric.mechanism.price, dated)
    if _caps_in_reach(programme, rules, metric_code, backed=flags.backed):
        # A cap met in the deal's date order moves what later claims of every cell pay.
        return None
    # Final-replaces-interims and amendments are rules of the cell itself
    # (outcomes.cells): `_counted` applies them to its rows as the engine's inputs do.
    # The engine's own split of a line (payments.rules.payers.split_line): the cell's
    # shares, and its payer of the rest, if any, takes the exact remainder.
    shares, residual = rules.cell_shares(cohort_code, metric_code)
    was = split_line(sum(counts[row.pk] for row in before) * price, shares, residual)
    now = split_line(sum(counts[row.pk] for row in after) * price, shares, residual)
    change = {payer.payer: b - a for payer, a, b in zip(rules.payers, was, now, strict=True)}
    return CellChange(
        change={slug: amount for slug, amount in change.items() if amount},
        due_booked=flags.due_booked,
        advanced=flags.advanced,
    )


@dataclass(frozen=True)
class _Flags:
    varied: bool  # a contract variation is recorded
    disputed: bool  # a dispute is not withdrawn
    held: bool  # a payer's disputed account does not balance to zero
    due_booked: bool  # an outcome due was posted
    advanced: bool  # a payer has an advance account
    backed: bool  # a result is participant-backed
    contract_id: int | None  # the latest contract version (None: none chained yet)
    contract_digest: str | None  # its digest


# What the programme holds that decides the path, in one statement. Written as SQL, not
# built by the ORM: building six subqueries cost more Python than the query took to run
# (bench/verification_bench.py, docs/benchmarks.md).
_FLAGS_SQL = """
SELECT
    EXISTS (SELECT 1 FROM payments_programme_variation v WHERE v.programme_id = %(programme)s),
    EXISTS (
        SELECT 1 FROM outcomes_result_review rv
        JOIN outcomes_result r ON r.id = rv.result_id
        WHERE r.programme_id = %(programme)s AND rv.verdict = %(disputed)s
        AND NOT EXISTS (SELECT 1 FROM outcomes_dispute_withdrawal w WHERE w.review_id = rv.id)
    ),
    EXISTS (
        SELECT 1 FROM payments_account a JOIN payments_leg l ON l.account_id = a.id
        WHERE a.programme_id = %(programme)s AND a.kind = %(held)s
        GROUP BY a.id HAVING SUM(l.debit) <> SUM(l.credit)
    ),
    EXISTS (
        SELECT 1 FROM payments_ledger_transaction t
        WHERE t.programme_id = %(programme)s AND t.kind = %(due)s
    ),
    EXISTS (
        SELECT 1 FROM payments_account a
        WHERE a.programme_id = %(programme)s AND a.kind = %(advance)s
    ),
    EXISTS (
        SELECT 1 FROM outcomes_result r WHERE r.programme_id = %(programme)s AND r.from_participants
    ),
    latest.id,
    latest.digest
FROM (SELECT 1) AS one
LEFT JOIN (
    SELECT c.id, c.digest FROM payments_contract_version c
    WHERE c.programme_id = %(programme)s ORDER BY c.id DESC LIMIT 1
) AS latest ON TRUE
"""


def _flags(programme: Programme) -> _Flags:
    """Return what the programme holds that decides the path, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            _FLAGS_SQL,
            {
                "programme": programme.pk,
                "disputed": ReviewVerdict.DISPUTED.value,
                "held": AccountKind.PAYER_DISPUTED.value,
                "due": TransactionKind.OUTCOME_DUE.value,
                "advance": AccountKind.PAYER_ADVANCE.value,
            },
        )
        row = cursor.fetchone()
    return _Flags(*row)


# The verified results of one cell and the verified amendments of any of them, with the
# cell's codes and its period's end; written as SQL for the reason given at _FLAGS_SQL.
_CELL_ROWS_SQL = """
SELECT r.id, r.metric_id, r.cohort_id, r.period_id, r.amends_id, r.stage,
    r.from_participants, r.value, m.code, c.code, p.end_date
FROM outcomes_result r
JOIN outcomes_result_decision d ON d.result_id = r.id
JOIN outcomes_metric m ON m.id = r.metric_id
JOIN outcomes_cohort c ON c.id = r.cohort_id
JOIN outcomes_period p ON p.id = r.period_id
LEFT JOIN outcomes_result a ON a.id = r.amends_id
WHERE d.decision = %(verified)s AND (
    (r.metric_id = %(metric)s AND r.cohort_id = %(cohort)s AND r.period_id = %(period)s)
    OR (a.metric_id = %(metric)s AND a.cohort_id = %(cohort)s AND a.period_id = %(period)s)
)
ORDER BY r.id
"""


def _cell_rows(result: Result) -> tuple[list[_Row], tuple[str, str, date]]:
    """Return the verified results of the result's cell and the verified amendments of
    any of them (which the services keep in the cell); and the cell's metric and cohort
    codes and its period's end."""
    with connection.cursor() as cursor:
        cursor.execute(
            _CELL_ROWS_SQL,
            {
                "verified": Decision.VERIFIED.value,
                "metric": result.metric_id,
                "cohort": result.cohort_id,
                "period": result.period_id,
            },
        )
        rows = cursor.fetchall()
    mine = next(((m, c, on) for pk, *_, m, c, on in rows if pk == result.pk), ("", "", date.min))
    return [
        _Row(pk, (metric, cohort, period), amends, stage, backed, value)
        for pk, metric, cohort, period, amends, stage, backed, value, *_ in rows
    ], mine


def _counted(rows: Iterable[_Row], cell: tuple[int, int, int], leave_out: int = 0) -> list[_Row]:
    """Return the rows that count for payment, as payments.outcome_payments reads them
    (verified, not superseded by a verified amendment, not replaced by the cell's final),
    with `leave_out`'s verification not made yet."""
    verified = [row for row in rows if row.pk != leave_out]
    superseded = {row.amends for row in verified if row.amends is not None}
    standing = [row for row in verified if row.pk not in superseded and row.cell == cell]
    replaced = replaced_interims(
        CellResult(row.pk, row.cell, row.stage, row.from_participants) for row in standing
    )
    return [row for row in standing if row.pk not in replaced]


def _count(row: _Row) -> int:
    if row.value != row.value.to_integral_value():
        # The engine's refusal, word for word (payments.outcome_payments._count).
        raise RuleError(f"results[{row.pk}]", f"must be a whole number, not {row.value}")
    return int(row.value)


def _caps_in_reach(programme: Programme, rules: ProgrammeRules, code: str, *, backed: bool) -> bool:
    """Return whether a cap could cut a claim before or after the verification.

    A cap cannot cut anything while everything it adds up stays within it: an upper bound
    of what it adds up, over every verified result (superseded and replaced ones too,
    this one included, so that it bounds both states), is read from the database. The
    participant cap adds up participant-backed outcomes only, which this cell has none of
    and which never touch another claim's headroom but through the caps bounded here.
    """
    metric = rules.metric(code)
    whole = rules.contract_cap is not None or any(p.cap is not None for p in rules.payers)
    mine = metric.max_count is not None or metric.max_amount is not None
    if not (whole or mine):
        return False
    if whole and not all(isinstance(m.mechanism, _BOUNDED) for m in rules.metrics):
        # Other mechanisms' prices are not bounded by a count: the engine decides.
        return True
    counts = _verified_counts(programme, backed=backed)
    prices = {m.code: _highest_price(rules, m.mechanism) for m in rules.metrics}
    count = counts.get(metric.code, 0)
    if metric.max_count is not None and count > metric.max_count:
        return True
    if metric.max_amount is not None and count * prices[metric.code] > metric.max_amount:
        return True
    if whole:
        # Each payer's part of a line is at most the line: its total is at most the total.
        total = sum(counts.get(code, 0) * price for code, price in prices.items())
        caps = [rules.contract_cap, *(p.cap for p in rules.payers)]
        return any(cap is not None and total > cap for cap in caps)
    return False


# The aggregate results' outcomes per metric, every verified one (see _FLAGS_SQL).
_VERIFIED_COUNTS_SQL = """
SELECT m.code, SUM(GREATEST(r.value, 0))
FROM outcomes_result r
JOIN outcomes_result_decision d ON d.result_id = r.id
JOIN outcomes_metric m ON m.id = r.metric_id
WHERE r.programme_id = %(programme)s AND NOT r.from_participants
    AND d.decision = %(verified)s
GROUP BY m.code
"""


def _verified_counts(programme: Programme, *, backed: bool) -> dict[str, Decimal]:
    """Return metric code -> outcomes counted by every verified result (an upper bound of
    what any state counts): aggregate values, and participant records one each (read
    only when the programme has `backed` results)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _VERIFIED_COUNTS_SQL,
            {"programme": programme.pk, "verified": Decision.VERIFIED.value},
        )
        aggregates = cursor.fetchall()
    counts: dict[str, Decimal] = {code: Decimal(count or 0) for code, count in aggregates}
    if backed:
        records = (
            ParticipantRecord.objects.filter(
                result__programme=programme,
                result__from_participants=True,
                result__decision__decision=Decision.VERIFIED,
            )
            .values_list("result__metric__code")
            .annotate(count=Count("id"))
        )
        for code, count in records:
            counts[code] = counts.get(code, Decimal(0)) + count
    return counts


def _highest_price(rules: ProgrammeRules, mechanism: object) -> int:
    """Return the most one outcome of the metric can be priced at, indexation included."""
    if not isinstance(mechanism, RateCardMechanism):
        return 0  # tracked or undisclosed (_BOUNDED): priced at nothing
    price = mechanism.price
    factors = rules.indexation.factors if rules.indexation is not None else ()
    return max([price, *(to_cents(price * factor.factor) for factor in factors)])
