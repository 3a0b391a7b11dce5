"""A seeded state machine over the money services, checking the ledger after every step.

After each step: Σdebit = Σcredit per programme and currency, no commitment drawn above
its amount, drawn amounts equal a plain model's, cash equals the model's, chain verifies.
Each example runs in a savepoint rolled back at its end, so examples are independent and
fast. LEDGER_STATE_EXAMPLES lowers the number of examples for a quick local run.
"""

import itertools
import os
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from payments import ledger, services
from payments.models import Commitment, LedgerTransaction
from sib import services as sib_services
from sib.chain_verification import chain_verify
from sib.models import Organisation, User
from tests.cast import make_programme

EXAMPLES = int(os.environ.get("LEDGER_STATE_EXAMPLES", "200"))
_names = itertools.count()


class LedgerMachine(RuleBasedStateMachine):
    programmes = Bundle("programmes")
    commitments = Bundle("commitments")
    transactions = Bundle("transactions")

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.manager = User.objects.create_user(f"sm-{next(_names)}")
        self.open: dict[int, bool] = {}
        self.committed: dict[int, int] = {}
        self.drawn: dict[int, int] = {}
        self.cash: dict[int, int] = {}
        self.reversed: set[int] = set()
        self.amount_of: dict[int, tuple[int, int | None]] = {}  # tx -> (cash in, commitment)
        self.day = date(2026, 1, 1)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _next_day(self) -> date:
        self.day += timedelta(days=1)
        return self.day

    @precondition(lambda self: len(self.open) < 3)
    @rule(target=programmes)
    def create_programme(self):  # type: ignore[no-untyped-def]
        programme = make_programme(f"sm-{next(_names)}", self.manager)
        self.open[programme.pk] = True
        self.cash[programme.pk] = 0
        return programme

    @rule(target=commitments, programme=programmes, amount=st.integers(1, 10_000_000))
    def commit(self, programme, amount):  # type: ignore[no-untyped-def]
        n = next(_names)
        investor = Organisation.objects.create(name=f"I{n}", slug=f"sm-inv-{n}", kinds=["investor"])
        tranche = (
            services.tranche_create(
                programme=programme, key=f"t{n}", name=f"T{n}", kind="senior_loan", priority=n + 1
            )
            if self.open[programme.pk]
            else None
        )
        if tranche is None:
            return None  # a closed programme's capital is fixed (checked by unit tests)
        commitment = services.commitment_create(
            tranche=tranche, investor=investor, amount=amount, committed_on=self.day
        )
        self.committed[commitment.pk] = amount
        self.drawn[commitment.pk] = 0
        return commitment

    @rule(
        target=transactions,
        commitment=commitments,
        fraction=st.fractions(0, 1),
        extra=st.integers(0, 3),
    )
    def draw_down(self, commitment, fraction, extra):  # type: ignore[no-untyped-def]
        if commitment is None:
            return None
        commitment = Commitment.objects.select_related("tranche", "programme", "investor").get(
            pk=commitment.pk
        )
        amount = max(1, int(self.committed[commitment.pk] * fraction)) + extra
        fits = self.drawn[commitment.pk] + amount <= self.committed[commitment.pk]
        allowed = fits and self.open[commitment.programme_id]
        try:
            drawdown = services.drawdown_record(
                commitment=commitment, called_on=self._next_day(), amount=amount, actor=None
            )
        except ValidationError:
            assert not allowed
            return None
        assert allowed
        self.drawn[commitment.pk] += amount
        self.cash[commitment.programme_id] += amount
        self.amount_of[drawdown.transaction_id] = (amount, commitment.pk)
        return drawdown.transaction

    @rule(target=transactions, programme=programmes, amount=st.integers(1, 5_000_000))
    def receive_payment(self, programme, amount):  # type: ignore[no-untyped-def]
        payer = Organisation.objects.get(slug=f"{programme.slug}-payer")
        tx = services.payment_received_record(
            advance=True,  # cash received before any due: the test is not about dues
            programme=programme,
            payer=payer,
            amount=amount,
            received_on=self._next_day(),
            actor=None,
        )
        self.cash[programme.pk] += amount
        self.amount_of[tx.pk] = (amount, None)
        return tx

    @rule(tx=consumes(transactions), twice=st.booleans())
    def reverse(self, tx, twice):  # type: ignore[no-untyped-def]
        if tx is None:
            return
        reversal = services.ledger_transaction_reverse(original=tx, reason="test", actor=None)
        amount, commitment_id = self.amount_of[tx.pk]
        self.cash[tx.programme_id] -= amount
        if commitment_id is not None:
            self.drawn[commitment_id] -= amount
        if twice:
            with pytest.raises(services.AlreadyReversed):
                services.ledger_transaction_reverse(original=tx, reason="again", actor=None)
            with pytest.raises(ValidationError):
                services.ledger_transaction_reverse(original=reversal, reason="r", actor=None)

    @rule(programme=programmes)
    def terminate(self, programme):  # type: ignore[no-untyped-def]
        if not self.open[programme.pk]:
            return
        sib_services.programme_terminate(
            programme=programme, termination_date=self.day, reason="payer option"
        )
        self.open[programme.pk] = False

    @invariant()
    def ledger_holds(self) -> None:
        for programme_id in self.open:
            for currency, (debit, credit) in ledger.trial_balance(
                programme_id=programme_id
            ).items():
                assert debit == credit, (programme_id, currency)
            cash = [
                balance
                for account, _, _, balance in ledger.account_balances(programme_id=programme_id)
                if account.code == "cash"
            ]
            assert (cash[0] if cash else 0) == self.cash[programme_id]
            assert chain_verify(programme_id=programme_id).ok
        for commitment_id, committed in self.committed.items():
            drawn = ledger.drawn_amount(commitment_id=commitment_id)
            assert drawn == self.drawn[commitment_id] <= committed
        count = LedgerTransaction.objects.filter(programme_id__in=list(self.open)).count()
        assert count >= len(self.amount_of)


@pytest.mark.django_db
@pytest.mark.slow
@pytest.mark.timeout(3600)  # 200 examples x 30 steps, each step checked against the database
def test_ledger_state_machine():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=30,
            derandomize=True,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
