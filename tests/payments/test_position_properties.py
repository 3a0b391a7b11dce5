"""The books add up after any history: random verifications, amendments, disputes (by
funders bound to one payer or to none), withdrawals of disputes, payments (some refused,
some advances), joint payments (one payer paying for both, allocated by what each owes;
some refused) and reversals on the demo bond.

After every step, to the cent:
- the trial balance of every currency is zero;
- what the ledger shows as due from each payer is what the contract's rules make the
  verified results worth now (a fresh engine run), and the part held in dispute is what
  the results disputed for that payer add to it (each payer disputes its own share; a
  funder bound to no payer disputes for all);
- each payer's receivable, dispute and advance ACCOUNTS (read as plain balances) agree
  with the position's figures: receivable = due - disputed - received + advance;
- Σ due - Σ received = Σ outstanding, and received is what the payment transactions
  brought into cash, net of reversals;
- a refused payment writes nothing; what joint payments settled for other payers
  (`settled_by`) is what the paying parties paid for them (`paid_for`).
At the end, the chain verifies. POSITION_EXAMPLES sets the number of histories (CI: 200).
"""

import itertools
import os
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcomes import services as outcome_services
from outcomes.disputes import dispute_withdraw
from outcomes.models import Result, ResultReview
from outcomes.selectors import results_with_state
from payments import services
from payments.joint_payments import JointPart, joint_payment_record
from payments.ledger import account_balances, trial_balance
from payments.models import LedgerTransaction, Leg
from payments.outcome_payments import outcome_payments_compute, verified_inputs
from payments.position import programme_position
from sib.chain_verification import chain_verify
from sib.models import Membership, Organisation, User
from tests.payments.schedule_support import D, jardins

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("POSITION_EXAMPLES", "200"))
CELLS = list(itertools.product(("training", "work-6m"), ("c1", "c2"), ("2026", "2027")))
PAYERS = ("etat", "departement-13")

step = st.one_of(
    st.tuples(st.just("verify"), st.integers(0, len(CELLS) - 1), st.integers(0, 40)),
    st.tuples(st.just("amend"), st.integers(0, 50), st.integers(0, 40)),
    st.tuples(st.just("dispute"), st.integers(0, 50), st.integers(0, 2)),  # which funder
    st.tuples(st.just("withdraw"), st.integers(0, 50), st.just(0)),
    st.tuples(
        st.just("pay"),
        st.integers(0, 1),
        st.tuples(st.integers(1, 130), st.booleans()),  # percent of what is payable
    ),
    st.tuples(st.just("joint"), st.integers(0, 1), st.integers(1, 130)),
    st.tuples(st.just("reverse"), st.integers(0, 50), st.just(0)),
)


@pytest.fixture
def deal():
    deal = jardins("prop-position")
    # A funder bound to no payer (disputes for all), and one bound to each payer.
    deal.funders = []
    for payer in (None, *PAYERS):
        funder = User.objects.create(username=f"prop-position-funder-{payer or 'all'}")
        Membership.objects.create(
            user=funder,
            programme=deal.programme,
            role="public_funder",
            organisation=Organisation.objects.get(slug=payer) if payer else None,
        )
        deal.funders.append(funder)
    return deal


def _open_disputes(deal) -> list[ResultReview]:
    verified = {r.pk for r in _verified(deal)}
    return [
        review
        for review in ResultReview.objects.filter(
            result__programme=deal.programme, verdict="disputed", withdrawal__isnull=True
        )
        .select_related("reviewer")
        .order_by("id")
        if review.result_id in verified
    ]


def _verified(deal) -> list[Result]:
    return list(
        results_with_state(Result.objects.filter(programme=deal.programme))
        .filter(state="verified")
        .order_by("id")
    )


def _run(deal, kind, a, b, day) -> None:
    programme = deal.programme
    if kind == "verify":
        # Declared additional: a cell may take several verified results, which add up
        # (outcomes.cells); the property is about the books, whatever the counts.
        deal.result(*CELLS[a], b, additional=True, additional_reason="another intake")
    elif kind in {"amend", "dispute"}:
        verified = _verified(deal)
        if not verified:
            return
        result = verified[a % len(verified)]
        if kind == "amend":
            amendment = outcome_services.result_amend(
                result=result,
                user=deal.evaluator,
                reason="recount",
                stage=None,
                values=outcome_services.ResultValues(value=Decimal(b)),
            )
            outcome_services.result_verify(result=amendment, user=deal.lead)
        elif not result.reviews.filter(reviewer=deal.funders[b]).exists():
            outcome_services.result_review(
                result=result, user=deal.funders[b], verdict="disputed", comment="recheck"
            )
    elif kind == "withdraw":
        open_ = _open_disputes(deal)
        if open_:
            review = open_[a % len(open_)]
            dispute_withdraw(review=review, user=review.reviewer, reason="recount agreed")
    elif kind == "pay":
        percent, advance = b
        payer = Organisation.objects.get(slug=PAYERS[a])
        payable = programme_position(programme=programme).payer(payer.slug).payable
        amount = max(1, payable * percent // 100)
        before = LedgerTransaction.objects.count()
        try:
            services.payment_received_record(
                programme=programme,
                payer=payer,
                amount=amount,
                received_on=D(2027, 1, 1) + (D(2027, 1, 2) - D(2027, 1, 1)) * day,
                actor=deal.manager,
                advance=advance,
            )
        except ValidationError:
            # Refused: only a payment above what is payable, not an advance, is.
            assert amount > payable and not advance
            assert LedgerTransaction.objects.count() == before
        else:
            assert amount <= payable or advance
    elif kind == "joint":
        _joint(deal, a, b, day)
    elif kind == "reverse":
        payments = list(
            LedgerTransaction.objects.filter(
                programme=programme, kind="payment_received", reversal__isnull=True
            ).order_by("id")
        )
        if payments:
            services.ledger_transaction_reverse(
                original=payments[a % len(payments)], reason="bounced", actor=deal.manager
            )


def _joint(deal, paid_by: int, percent: int, day: int) -> None:
    """One payer pays `percent` of what both owe, allocated by what each owes."""
    programme = deal.programme
    position = programme_position(programme=programme)
    payable = sum(position.payer(slug).payable for slug in PAYERS)
    amount = max(1, payable * percent // 100)
    before = LedgerTransaction.objects.count()
    try:
        joint_payment_record(
            programme=programme,
            paid_by=Organisation.objects.get(slug=PAYERS[paid_by]),
            parts=[JointPart(Organisation.objects.get(slug=slug)) for slug in PAYERS],
            amount=amount,
            received_on=D(2027, 1, 1) + (D(2027, 1, 2) - D(2027, 1, 1)) * day,
            actor=deal.manager,
        )
    except ValidationError:
        assert amount > payable
        assert LedgerTransaction.objects.count() == before
    else:
        assert amount <= payable


def _check(deal) -> None:
    programme = deal.programme
    for debit, credit in trial_balance(programme_id=programme.pk).values():
        assert debit == credit
    position = programme_position(programme=programme)
    engine_all = {
        p.payer: p.amount for p in outcome_payments_compute(programme=programme).payer_totals
    }
    # Per payer: the engine without the results disputed for it (read from the reviews and
    # the funders' memberships here, not through the accrual's own helper).
    held: dict[str, set[int]] = {payer: set() for payer in PAYERS}
    for review in _open_disputes(deal):
        bound = Membership.objects.get(
            user=review.reviewer, programme=programme, role="public_funder"
        ).organisation
        for payer in PAYERS if bound is None else (bound.slug,):
            held[payer].add(review.result_id)
    undisputed = {
        payer: {
            p.payer: p.amount
            for p in outcome_payments_compute(
                programme=programme, inputs=verified_inputs(programme=programme, exclude=ids)
            ).payer_totals
        }.get(payer, 0)
        for payer, ids in held.items()
    }
    balances = {
        (account.kind, account.organisation.slug): balance
        for account, _, _, balance in account_balances(programme_id=programme.pk)
        if account.organisation is not None
    }
    for payer in position.payers:
        assert payer.due == engine_all.get(payer.payer, 0)
        assert payer.disputed == max(
            engine_all.get(payer.payer, 0) - undisputed.get(payer.payer, 0), 0
        )
        assert payer.advance >= 0 and payer.payable >= 0
        receivable = balances.get(("payer_receivable", payer.payer), 0)
        assert receivable == payer.due - payer.disputed - payer.received + payer.advance
        assert balances.get(("payer_disputed", payer.payer), 0) == payer.disputed
        assert balances.get(("payer_advance", payer.payer), 0) == payer.advance
    cash_in = Leg.objects.filter(
        transaction__programme=programme,
        account__kind="programme_cash",
        transaction__kind="payment_received",
        transaction__reversal__isnull=True,
    ).aggregate(total=Sum("debit", default=0))["total"]
    assert position.totals["received"] == cash_in
    assert position.totals["due"] - position.totals["received"] == position.totals["outstanding"]
    settled = sorted((p.payer, by, n) for p in position.payers for by, n in p.settled_by)
    paid_for = sorted((payer, p.payer, n) for p in position.payers for payer, n in p.paid_for)
    assert settled == paid_for


# 200 histories on the database: minutes, past the suite's 300 s on a loaded machine.
@pytest.mark.slow
@pytest.mark.timeout(1800)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(step, min_size=1, max_size=10))
def test_the_books_add_up_after_any_history(deal, history):
    # One deal for every example; each history runs in a savepoint rolled back after it.
    with transaction.atomic():
        for day, (kind, a, b) in enumerate(history):
            _run(deal, kind, a, b, day)
            _check(deal)
        assert chain_verify(programme_id=deal.programme.pk).ok
        transaction.set_rollback(True)
