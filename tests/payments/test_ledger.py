"""The ledger's rules, each tried against the database itself."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from payments import ledger, services
from payments.ledger import LEDGER_CANONICAL_SQL, LedgerError, LegSpec, transaction_canonical
from payments.models import AccountKind, LedgerTransaction, Leg
from sib import services as sib_services
from sib.chain_verification import chain_verify
from tests.payments.ledger_support import make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # The services' messages are translated and French is the default language; English
    # keeps the assertions on wording readable.
    with translation.override("en"):
        yield


@pytest.fixture
def deal():
    return make_deal("ledger")


def _fire_deferred_checks() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_drawdown_posts_balanced_transaction_cash_against_investor_principal(deal):
    drawdown = services.drawdown_record(
        commitment=deal.commitment, called_on=date(2026, 2, 1), amount=40_000, actor=deal.manager
    )
    legs = {
        leg.account.code: (leg.debit, leg.credit)
        for leg in drawdown.transaction.legs.select_related("account")
    }
    assert legs == {"cash": (40_000, 0), "principal:senior:ledger-investor": (0, 40_000)}
    assert ledger.trial_balance(programme_id=deal.programme.pk) == {"EUR": (40_000, 40_000)}
    assert chain_verify(programme_id=deal.programme.pk).ok


def test_drawdown_above_what_is_left_of_the_commitment_is_refused(deal):
    services.drawdown_record(
        commitment=deal.commitment, called_on=date(2026, 2, 1), amount=999_999, actor=None
    )
    with pytest.raises(ValidationError) as refused:
        services.drawdown_record(
            commitment=deal.commitment, called_on=date(2026, 3, 1), amount=2, actor=None
        )
    assert refused.value.message_dict == {
        "amount": ["Only €0.01 of the commitment €10,000.00 is left to draw; €0.02 was asked."]
    }


def test_reversed_drawdown_frees_its_amount_and_is_reversed_once(deal):
    drawdown = services.drawdown_record(
        commitment=deal.commitment, called_on=date(2026, 2, 1), amount=1_000_000, actor=None
    )
    reversal = services.ledger_transaction_reverse(
        original=drawdown.transaction, reason="Wrong investor", actor=deal.manager
    )
    assert reversal.reverses_id == drawdown.transaction_id
    assert ledger.drawn_amount(commitment_id=deal.commitment.pk) == 0
    with pytest.raises(services.AlreadyReversed):
        services.ledger_transaction_reverse(
            original=drawdown.transaction, reason="Again", actor=deal.manager
        )
    assert ledger.trial_balance(programme_id=deal.programme.pk) == {
        "EUR": (1_000_000 * 2, 1_000_000 * 2)
    }


def test_second_reversal_is_refused_by_the_database_even_past_the_python_check(deal):
    drawdown = services.drawdown_record(
        commitment=deal.commitment, called_on=date(2026, 2, 1), amount=5, actor=None
    )
    ledger.transaction_reverse(original=drawdown.transaction, reason="one", actor=None)
    legs = [
        LegSpec(leg.account, debit=leg.credit, credit=leg.debit)
        for leg in drawdown.transaction.legs.select_related("account")
    ]
    with pytest.raises(ledger.AlreadyReversed):
        ledger.transaction_post(
            programme=deal.programme,
            kind="reversal",
            occurred_on=date(2026, 2, 2),
            legs=legs,
            reverses=drawdown.transaction,
            reason="two",
        )


def test_reversal_without_reason_is_refused(deal):
    drawdown = services.drawdown_record(
        commitment=deal.commitment, called_on=date(2026, 2, 1), amount=5, actor=None
    )
    with pytest.raises(ValidationError):
        services.ledger_transaction_reverse(original=drawdown.transaction, reason=" ", actor=None)


def test_terminated_programme_accepts_no_drawdown(deal):
    sib_services.programme_terminate(
        programme=deal.programme, termination_date=date(2026, 6, 30), reason="Payer option"
    )
    deal.commitment.refresh_from_db()
    with pytest.raises(ValidationError, match="terminated"):
        services.drawdown_record(
            commitment=deal.commitment, called_on=date(2026, 7, 1), amount=5, actor=None
        )


def test_python_refuses_an_unbalanced_posting(deal):
    cash = ledger.account_for(programme=deal.programme, kind=AccountKind.PROGRAMME_CASH)
    receivable = ledger.account_for(
        programme=deal.programme, kind=AccountKind.PAYER_RECEIVABLE, organisation=deal.payer
    )
    with pytest.raises(LedgerError, match="unbalanced"):
        ledger.transaction_post(
            programme=deal.programme,
            kind="payment_received",
            occurred_on=date(2026, 2, 1),
            legs=[LegSpec(cash, debit=100), LegSpec(receivable, credit=99)],
        )


def test_database_refuses_an_unbalanced_transaction_written_around_python(deal):
    cash = ledger.account_for(programme=deal.programme, kind=AccountKind.PROGRAMME_CASH)
    receivable = ledger.account_for(
        programme=deal.programme, kind=AccountKind.PAYER_RECEIVABLE, organisation=deal.payer
    )
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        tx = LedgerTransaction.objects.create(
            programme=deal.programme, kind="payment_received", occurred_on=date(2026, 2, 1)
        )
        Leg.objects.create(transaction=tx, account=cash, debit=100, currency="EUR")
        Leg.objects.create(transaction=tx, account=receivable, credit=99, currency="EUR")
        _fire_deferred_checks()


def test_database_refuses_a_transaction_with_a_single_leg_or_none(deal):
    cash = ledger.account_for(programme=deal.programme, kind=AccountKind.PROGRAMME_CASH)
    with pytest.raises(IntegrityError, match="at least 2"), transaction.atomic():
        LedgerTransaction.objects.create(
            programme=deal.programme, kind="payment_received", occurred_on=date(2026, 2, 1)
        )
        _fire_deferred_checks()
    with pytest.raises(IntegrityError, match="at least 2"), transaction.atomic():
        tx = LedgerTransaction.objects.create(
            programme=deal.programme, kind="payment_received", occurred_on=date(2026, 2, 1)
        )
        Leg.objects.create(transaction=tx, account=cash, debit=100, currency="EUR")
        _fire_deferred_checks()


def test_database_refuses_a_leg_with_both_or_neither_side(deal):
    cash = ledger.account_for(programme=deal.programme, kind=AccountKind.PROGRAMME_CASH)
    tx = LedgerTransaction(
        programme=deal.programme, kind="payment_received", occurred_on=date(2026, 2, 1)
    )
    for debit, credit in [(5, 5), (0, 0), (-5, 0)]:
        with pytest.raises(IntegrityError), transaction.atomic():
            tx.save() if tx.pk is None else None
            Leg.objects.create(
                transaction=tx, account=cash, debit=debit, credit=credit, currency="EUR"
            )


def test_database_refuses_a_leg_in_another_currency_than_its_account(deal):
    cash = ledger.account_for(programme=deal.programme, kind=AccountKind.PROGRAMME_CASH)
    receivable = ledger.account_for(
        programme=deal.programme, kind=AccountKind.PAYER_RECEIVABLE, organisation=deal.payer
    )
    with pytest.raises(IntegrityError, match="currency other"), transaction.atomic():
        tx = LedgerTransaction.objects.create(
            programme=deal.programme, kind="payment_received", occurred_on=date(2026, 2, 1)
        )
        Leg.objects.create(transaction=tx, account=cash, debit=100, currency="USD")
        Leg.objects.create(transaction=tx, account=receivable, credit=100, currency="USD")
        _fire_deferred_checks()


def test_payment_received_from_a_non_payer_is_refused(deal):
    with pytest.raises(ValidationError, match="not an outcome payer"):
        services.payment_received_record(
            advance=True,  # cash received before any due: the test is not about dues
            programme=deal.programme,
            payer=deal.investor,
            amount=5,
            received_on=date(2026, 2, 1),
            actor=None,
        )


@pytest.mark.parametrize(
    "text",
    ["plain", 'quote " and \\ backslash', "line\nbreak\ttab", "é 中文 😀 \u2028", ""],
)
def test_sql_canonical_text_equals_python_canonical_text(deal, text):
    tx = services.payment_received_record(
        advance=True,  # cash received before any due: the test is not about dues
        programme=deal.programme,
        payer=deal.payer,
        amount=12_345,
        received_on=date(2026, 2, 1),
        actor=deal.manager,
        description=text,
    )
    reversal = services.ledger_transaction_reverse(original=tx, reason=text or "r", actor=None)
    _assert_canonical_texts_agree(deal, tx, reversal)


def test_sql_canonical_text_equals_python_canonical_text_with_control_characters(deal):
    """The services refuse control characters in user text (sib.user_text), but rows
    stored before that rule, or posted by the ledger itself, may hold them: the chain's
    SQL and Python canonical texts must still agree on them."""
    text = "ctl \x01 and \u202e override"
    with pytest.raises(ValidationError):
        services.payment_received_record(
            advance=True,
            programme=deal.programme,
            payer=deal.payer,
            amount=12_345,
            received_on=date(2026, 2, 1),
            actor=deal.manager,
            description=text,
        )
    cash = ledger.account_for(programme=deal.programme, kind=AccountKind.PROGRAMME_CASH)
    advance = ledger.account_for(
        programme=deal.programme, kind=AccountKind.PAYER_ADVANCE, organisation=deal.payer
    )
    tx = ledger.transaction_post(
        programme=deal.programme,
        kind="payment_received",
        occurred_on=date(2026, 2, 1),
        legs=[LegSpec(cash, debit=12_345), LegSpec(advance, credit=12_345)],
        description=text,
    )
    _assert_canonical_texts_agree(deal, tx)


def _assert_canonical_texts_agree(deal, *rows: LedgerTransaction) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            LEDGER_CANONICAL_SQL.replace("%(programme_id)s", "%s"),
            [deal.programme.pk, deal.programme.pk],
        )
        from_sql = dict(cursor.fetchall())
    for row in rows:
        assert from_sql[str(row.pk)] == transaction_canonical(row, row.legs.all())
    assert chain_verify(programme_id=deal.programme.pk).ok


def test_verifying_leaves_the_callers_planner_settings_alone(deal):
    def settings_now() -> tuple[str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('work_mem'), current_setting('enable_nestloop')")
            return cursor.fetchone()

    before = settings_now()
    with transaction.atomic():
        assert chain_verify(programme_id=deal.programme.pk).ok
        assert settings_now() == before
