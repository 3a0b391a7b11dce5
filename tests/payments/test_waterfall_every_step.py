"""Property tests of the waterfall over every step kind, tranche kind and step order
(issue 13, part 6): random deals, random payments, the rules every contract relies on.

Whatever the terms, the engine must
- pay out exactly what came in: on each day, the distributions and what is left with the
  payer add up to the payments received that day, to the cent;
- never pay a negative amount, never repay a lender more principal than it drew (with
  what a guarantee made good), never pay a guarantor back more than its calls took;
- keep every cap: a fee, a success fee or recycling within its own, a return within
  "multiple × drawn" (an investor success fee is paid above it), a guarantee call
  within its percentage of the loss, its cover limit and its guarantors' commitments;
- give the same answer twice.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from payments.engine.schedule import PaymentReceived, RepaymentSchedule, compute_schedule
from payments.engine.terms import (
    AnnualRateCap,
    Drawdown,
    Fees,
    GuaranteeReimbursement,
    Investor,
    InvestorSuccessFee,
    IrrCap,
    MultipleCap,
    Principal,
    ProviderSuccessFee,
    Recycle,
    ResidualToPayer,
    Return,
    Step,
    Tranche,
    TrancheKind,
)
from sib.money import allocate

START, END = date(2026, 1, 1), date(2030, 12, 31)
LENDING = [k for k in TrancheKind if k is not TrancheKind.GUARANTEE]

days = st.integers(0, (END - START).days).map(lambda n: START + timedelta(days=n))
amounts = st.integers(1, 50_000_000)
shares = st.decimals(Decimal("0.01"), Decimal("0.5"), places=2)
caps = st.one_of(
    st.none(),
    st.decimals(Decimal(0), Decimal("0.15"), places=3).map(AnnualRateCap),
    st.decimals(Decimal(0), Decimal("0.15"), places=3).map(IrrCap),
    st.decimals(Decimal(1), Decimal(3), places=2).map(MultipleCap),
)


@st.composite
def lending_tranche(draw: st.DrawFn, index: int) -> Tranche:
    count = draw(st.integers(1, 3))
    investors = tuple(
        Investor(
            f"t{index}-i{i}",
            tuple(
                Drawdown(on, amount)
                for on, amount in draw(st.lists(st.tuples(days, amounts), min_size=1, max_size=3))
            ),
            # No commitment known (0): an investor success fee splits by capital drawn.
            commitment=draw(st.integers(0, 50_000_000)),
        )
        for i in range(count)
    )
    return Tranche(f"t{index}", draw(st.sampled_from(LENDING)), investors, draw(caps))


@st.composite
def deals(
    draw: st.DrawFn,
) -> tuple[tuple[Tranche, ...], tuple[Step, ...], tuple[PaymentReceived, ...]]:
    lenders = [draw(lending_tranche(i)) for i in range(draw(st.integers(1, 3)))]
    tranches = list(lenders)
    steps: list[Step] = []
    for tranche in lenders:
        steps += [Principal(tranche.id), Return(tranche.id)]
    if draw(st.booleans()):
        protected = draw(st.sampled_from(lenders))
        guarantors = tuple(
            Investor(f"g{i}", commitment=draw(amounts)) for i in range(draw(st.integers(1, 2)))
        )
        percent = draw(st.one_of(st.none(), st.decimals(Decimal("0.0001"), 100, places=4)))
        limit = draw(st.none() if percent is None else st.one_of(st.none(), amounts))
        tranches.append(
            Tranche(
                "g",
                TrancheKind.GUARANTEE,
                guarantors,
                protects=protected.id,
                cover_percent=percent,
                cover_limit=limit,
            )
        )
        steps.append(GuaranteeReimbursement("g"))
    fee_cap = st.one_of(st.none(), amounts)
    if draw(st.booleans()):
        fixed = draw(st.booleans())
        steps.append(
            Fees(
                "manager",
                amount=draw(amounts) if fixed else 0,
                share=Decimal(0) if fixed else draw(shares),
                cap=draw(fee_cap),
            )
        )
    if draw(st.booleans()):
        steps.append(ProviderSuccessFee(draw(shares), cap=draw(fee_cap)))
    if draw(st.booleans()):
        fee_tranche = draw(st.sampled_from(lenders)).id
        steps.append(InvestorSuccessFee(fee_tranche, draw(shares), cap=draw(fee_cap)))
    if draw(st.booleans()):
        steps.append(Recycle(draw(amounts)))
    steps = draw(st.permutations(steps))
    if draw(st.booleans()):
        steps.append(ResidualToPayer())
    payments = draw(
        st.lists(
            st.tuples(days | st.just(END + timedelta(days=90)), amounts), min_size=0, max_size=6
        )
    )
    return (
        tuple(tranches),
        tuple(steps),
        tuple(PaymentReceived(on, amount) for on, amount in payments),
    )


def _schedule(deal) -> RepaymentSchedule:  # type: ignore[no-untyped-def]
    tranches, steps, payments = deal
    return compute_schedule(tranches=tranches, payments=payments, steps=steps, end_date=END)


@settings(max_examples=150, deadline=None)
@given(deal=deals())
def test_every_payment_is_paid_out_or_left_with_the_payer_to_the_cent(deal) -> None:  # type: ignore[no-untyped-def]
    schedule = _schedule(deal)
    came_in: dict[date, int] = defaultdict(int)
    went_out: dict[date, int] = defaultdict(int)
    for payment in schedule.payments:
        came_in[payment.on] += payment.amount
    for paid in schedule.distributions:
        assert paid.amount >= 0
        went_out[paid.on] += paid.amount
    for residual in schedule.residuals:
        assert residual.amount >= 0
        went_out[residual.on] += residual.amount
    assert went_out == came_in


@settings(max_examples=150, deadline=None)
@given(deal=deals())
def test_no_lender_gets_back_more_principal_than_it_drew(deal) -> None:  # type: ignore[no-untyped-def]
    schedule = _schedule(deal)
    last = {}
    for line in schedule.lines:
        last[(line.tranche, line.investor)] = line
    for (tranche, _), line in last.items():
        if tranche == "g":
            continue
        assert (
            line.cumulative_principal_repaid + line.cumulative_guarantee_received
            <= line.drawn_to_date
        )
        assert line.outstanding_principal >= 0


@settings(max_examples=150, deadline=None)
@given(deal=deals())
def test_every_cap_holds(deal) -> None:  # type: ignore[no-untyped-def]
    tranches, steps, _ = deal
    schedule = _schedule(deal)
    by_step: dict[int, int] = defaultdict(int)
    for paid in schedule.distributions:
        by_step[paid.step_index] += paid.amount
    for index, step in enumerate(steps):
        limit = step.limit if isinstance(step, Recycle) else getattr(step, "cap", None)
        if limit is not None:
            assert by_step[index] <= limit, (step, by_step[index])
    drawn = {(line.tranche, line.investor): line.drawn_to_date for line in schedule.lines}
    returned: dict[tuple[str, str], int] = defaultdict(int)
    for paid in schedule.distributions:
        # The investors' success fee is paid above the cap: the cap binds the rest.
        if paid.tranche is not None and paid.step_kind != "investor_success_fee":
            returned[(paid.tranche, paid.recipient)] += paid.amount
    for tranche in tranches:
        if isinstance(tranche.cap, MultipleCap):
            for investor in tranche.investors:
                key = (tranche.id, investor.id)
                assert returned[key] <= tranche.cap.multiple * drawn.get(key, 0), key


@settings(max_examples=150, deadline=None)
@given(deal=deals())
def test_a_guarantor_is_paid_back_at_most_what_its_calls_took(deal) -> None:  # type: ignore[no-untyped-def]
    schedule = _schedule(deal)
    called: dict[str, int] = defaultdict(int)
    for call in schedule.guarantee_calls:
        for guarantor, amount in call.paid_by:
            called[guarantor] += amount
    reimbursed: dict[str, int] = defaultdict(int)
    for paid in schedule.distributions:
        if paid.step_kind == GuaranteeReimbursement.kind:
            reimbursed[paid.recipient] += paid.amount
    for guarantor, amount in reimbursed.items():
        assert amount <= called[guarantor]


@settings(max_examples=150, deadline=None)
@given(deal=deals())
def test_a_guarantee_calls_its_percentage_of_the_loss_within_its_limit_and_commitments(
    deal,
) -> None:  # type: ignore[no-untyped-def]
    """A call is cover_percent x shortfall rounded half up, or less only where the cover
    limit or the guarantors' commitments stop it; never more than the shortfall."""
    tranches, _, _ = deal
    schedule = _schedule(deal)
    by_id = {t.id: t for t in tranches}
    for call in schedule.guarantee_calls:
        terms = by_id[call.tranche]
        percent = terms.cover_percent if terms.cover_percent is not None else Decimal(100)
        share = (call.shortfall * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        room = min(terms.cover, terms.cover_limit if terms.cover_limit is not None else terms.cover)
        assert 0 < call.amount <= call.shortfall
        assert call.amount == min(int(share), room)
        assert sum(a for _, a in call.paid_by) == sum(a for _, a in call.paid_to) == call.amount


@settings(max_examples=50, deadline=None)
@given(deal=deals())
def test_the_same_deal_gives_the_same_schedule(deal) -> None:  # type: ignore[no-untyped-def]
    first, second = _schedule(deal), _schedule(deal)
    assert first.distributions == second.distributions
    assert first.residuals == second.residuals
    assert first.guarantee_calls == second.guarantee_calls
    assert first.lines == second.lines


@settings(max_examples=150, deadline=None)
@given(deal=deals())
def test_an_investor_success_fee_is_split_by_commitment_to_the_cent(deal) -> None:  # type: ignore[no-untyped-def]
    """Each payment's fee, all of its parts together, goes to the named tranche's
    investors pro rata by commitment (by capital drawn when none is known)."""
    tranches, steps, payments = deal
    schedule = _schedule(deal)
    # Two payments the same day are two splits: their sum is not one split of the sum.
    once = {on for on in {p.on for p in payments} if sum(p.on == on for p in payments) == 1}
    by_id = {tranche.id: tranche for tranche in tranches}
    drawn = {(line.on, line.investor): line.drawn_to_date for line in schedule.lines}
    paid: dict[tuple[date, int], dict[str, int]] = defaultdict(dict)
    for row in schedule.distributions:
        if row.step_kind == "investor_success_fee" and row.on in once:
            step = steps[row.step_index]
            assert isinstance(step, InvestorSuccessFee)
            assert row.tranche == step.tranche
            paid[(row.on, row.step_index)][row.recipient] = row.amount
    for (on, index), parts in paid.items():
        investors = by_id[steps[index].tranche].investors  # type: ignore[union-attr]
        weights = [i.commitment for i in investors]
        if not any(weights):
            weights = [drawn[(on, i.id)] for i in investors]
        total = sum(parts.values())
        expected = allocate(total, weights)
        assert [parts.get(i.id, 0) for i in investors] == expected
