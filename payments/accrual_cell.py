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

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Greatest

from outcomes.cells import CellResult, replaced_interims
from outcomes.mechanisms import (
    RateCardMechanism,
    SavingsShareMechanism,
    TrackedMechanism,
    UndisclosedMechanism,
    to_cents,
)
from outcomes.models import Decision, ParticipantRecord, Result, ResultReview, ReviewVerdict
from outcomes.rule_json import RuleError
from payments.models import Account, AccountKind, LedgerTransaction, TransactionKind
from payments.models.variations import ProgrammeVariation
from payments.outcome_payments import programme_rules, programme_terminated_on
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
    rules = programme_rules(programme=programme)
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
    flags = _flags(programme)
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


def _flags(programme: Programme) -> _Flags:
    """Return what the programme holds that decides the path, in one query."""
    mine = {"programme_id": OuterRef("pk")}
    held = (
        Account.objects.filter(**mine, kind=AccountKind.PAYER_DISPUTED)
        .annotate(net=Sum("legs__debit") - Sum("legs__credit"))
        .exclude(net=0)
    )
    row = (
        Programme.objects.filter(pk=programme.pk)
        .annotate(
            varied=Exists(ProgrammeVariation.objects.filter(**mine)),
            disputed=Exists(
                ResultReview.objects.filter(
                    result__programme_id=OuterRef("pk"),
                    verdict=ReviewVerdict.DISPUTED,
                    withdrawal__isnull=True,
                )
            ),
            held=Exists(held),
            due_booked=Exists(
                LedgerTransaction.objects.filter(**mine, kind=TransactionKind.OUTCOME_DUE)
            ),
            advanced=Exists(Account.objects.filter(**mine, kind=AccountKind.PAYER_ADVANCE)),
            backed=Exists(Result.objects.filter(**mine, from_participants=True)),
        )
        .values_list("varied", "disputed", "held", "due_booked", "advanced", "backed")
        .get()
    )
    return _Flags(*row)


def _cell_rows(result: Result) -> tuple[list[_Row], tuple[str, str, date]]:
    """Return the verified results of the result's cell and the verified amendments of
    any of them (which the services keep in the cell); and the cell's metric and cohort
    codes and its period's end."""
    place = {"metric_id": result.metric_id, "cohort_id": result.cohort_id}
    rows = list(
        Result.objects.filter(
            Q(**place, period_id=result.period_id)
            | Q(
                amends__metric_id=result.metric_id,
                amends__cohort_id=result.cohort_id,
                amends__period_id=result.period_id,
            ),
            decision__decision=Decision.VERIFIED,
        )
        .order_by("id")
        .values_list(
            "pk",
            "metric_id",
            "cohort_id",
            "period_id",
            "amends_id",
            "stage",
            "from_participants",
            "value",
            "metric__code",
            "cohort__code",
            "period__end_date",
        )
    )
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


def _verified_counts(programme: Programme, *, backed: bool) -> dict[str, Decimal]:
    """Return metric code -> outcomes counted by every verified result (an upper bound of
    what any state counts): aggregate values, and participant records one each (read
    only when the programme has `backed` results)."""
    verified = Q(decision__decision=Decision.VERIFIED)
    aggregates = (
        Result.objects.filter(verified, programme=programme, from_participants=False)
        .values_list("metric__code")
        .annotate(count=Sum(Greatest("value", Decimal(0))))
    )
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
