"""The accrual ledger: verified results book what each payer owes, and payments settle it.

Figures use the demo bond (tests/payments/schedule_support.jardins): "enters training"
pays 800 € a participant, the State pays 70 % and the département 30 %.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from outcomes import services as outcome_services
from payments import services
from payments.ledger import trial_balance
from payments.models import LedgerTransaction, TransactionKind
from payments.position import programme_position
from sib import services as sib_services
from sib.chain_verification import chain_verify
from sib.clock import frozen_today
from sib.models import ChainEntry, Membership, Organisation, User
from tests.payments.schedule_support import D, jardins

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # The refusals are read in English here (the default language is French).
    with translation.override("en"):
        yield


def due(deal, payer: str) -> int:
    return programme_position(programme=deal.programme).payer(payer).due


def assert_books_balance(deal) -> None:
    for debit, credit in trial_balance(programme_id=deal.programme.pk).values():
        assert debit == credit
    position = programme_position(programme=deal.programme)
    assert position.totals["due"] - position.totals["received"] == position.totals["outstanding"]
    assert chain_verify(programme_id=deal.programme.pk).ok


def amend(deal, result, value: int):
    amendment = outcome_services.result_amend(
        result=result,
        user=deal.evaluator,
        reason="recount",
        stage=None,
        values=outcome_services.ResultValues(value=Decimal(value)),
    )
    outcome_services.result_verify(result=amendment, user=deal.lead)
    return amendment


def dispute(deal, result):
    funder = User.objects.create(username=f"{deal.programme.slug}-funder")
    Membership.objects.create(user=funder, programme=deal.programme, role="public_funder")
    return outcome_services.result_review(
        result=result, user=funder, verdict="disputed", comment="these counts look high"
    )


def test_verifying_a_result_books_what_each_payer_owes_in_the_same_transaction():
    deal = jardins()
    deal.result("training", "c1", "2026", 10)

    assert due(deal, "etat") == 560_000
    assert due(deal, "departement-13") == 240_000
    (posting,) = LedgerTransaction.objects.filter(
        programme=deal.programme, kind=TransactionKind.OUTCOME_DUE
    )
    assert "verification of result" in posting.description
    assert programme_position(programme=deal.programme).income == 800_000
    assert_books_balance(deal)


def test_an_amendment_books_the_difference_and_never_edits_the_first_posting():
    deal = jardins()
    first = deal.result("training", "c1", "2026", 10)
    amend(deal, first, 8)

    postings = list(
        LedgerTransaction.objects.filter(
            programme=deal.programme, kind=TransactionKind.OUTCOME_DUE
        ).order_by("id")
    )
    assert len(postings) == 2
    assert sum(leg.debit for leg in postings[0].legs.all()) == 800_000
    assert "restated" in postings[1].description
    assert due(deal, "etat") + due(deal, "departement-13") == 640_000
    assert_books_balance(deal)


def test_a_restatement_below_what_was_paid_leaves_a_credit_netted_against_the_next_due():
    deal = jardins()
    first = deal.result("training", "c1", "2026", 10)
    deal.receive("etat", 560_000, D(2027, 1, 15))
    amend(deal, first, 5)

    etat = programme_position(programme=deal.programme).payer("etat")
    assert (etat.due, etat.received, etat.outstanding, etat.credit) == (
        280_000,
        560_000,
        -280_000,
        280_000,
    )
    deal.result("training", "c2", "2026", 10)  # 5 600 € more for the State
    etat = programme_position(programme=deal.programme).payer("etat")
    assert (etat.outstanding, etat.credit, etat.payable) == (280_000, 0, 280_000)
    assert_books_balance(deal)


def test_a_disputed_result_is_held_apart_and_released_by_the_amendment_that_resolves_it():
    deal = jardins()
    result = deal.result("training", "c1", "2026", 10)
    dispute(deal, result)

    etat = programme_position(programme=deal.programme).payer("etat")
    assert (etat.due, etat.disputed, etat.payable) == (560_000, 560_000, 0)
    with pytest.raises(ValidationError) as refused:
        deal.receive("etat", 560_000, D(2027, 1, 15))
    assert "in dispute" in str(refused.value)

    amend(deal, result, 7)
    etat = programme_position(programme=deal.programme).payer("etat")
    assert (etat.due, etat.disputed, etat.payable) == (392_000, 0, 392_000)
    assert_books_balance(deal)


def test_a_payment_above_what_the_payer_owes_is_refused_naming_the_figures():
    # The tester's case: 2 000 000 € from a payer that owed 43 680 €.
    deal = jardins()
    deal.result("training", "c1", "2026", 78)  # 62 400 €: the State owes 43 680 €
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        deal.receive("etat", 200_000_000, D(2027, 1, 15))
    message = refused.value.message_dict["amount"][0]
    assert "43,680.00" in message and "advance" in message
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.PAYMENT_RECEIVED).exists()


def test_a_payment_recorded_as_an_advance_is_kept_apart_then_meets_the_next_due():
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    services.payment_received_record(
        programme=deal.programme,
        payer=Organisation.objects.get(slug="etat"),
        amount=1_000_000,
        received_on=D(2027, 1, 15),
        actor=deal.manager,
        advance=True,
    )
    etat = programme_position(programme=deal.programme).payer("etat")
    # Paid ahead: an advance, not also a credit owed back.
    assert (etat.received, etat.advance, etat.payable, etat.credit) == (1_000_000, 440_000, 0, 0)

    deal.result("training", "c2", "2026", 10)  # 5 600 € more: the advance pays 4 400 €
    etat = programme_position(programme=deal.programme).payer("etat")
    assert (etat.advance, etat.payable, etat.outstanding) == (0, 120_000, 120_000)
    assert LedgerTransaction.objects.filter(kind=TransactionKind.ADVANCE_APPLIED).count() == 1
    assert_books_balance(deal)


def test_a_payment_past_the_contract_cap_is_refused_unless_recorded_as_an_advance():
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    deal.programme.contract_cap = 500_000
    with pytest.raises(ValidationError) as refused:
        services.payment_received_record(
            programme=deal.programme,
            payer=Organisation.objects.get(slug="etat"),
            amount=560_000,
            received_on=D(2027, 1, 15),
            actor=deal.manager,
        )
    assert "contract cap" in refused.value.message_dict["amount"][0]


def test_a_termination_restates_what_results_after_it_would_have_paid():
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    deal.result("training", "c1", "2028", 10)
    assert due(deal, "etat") == 1_120_000
    sib_services.programme_terminate(
        programme=deal.programme, termination_date=D(2027, 6, 30), reason="payer option"
    )
    assert due(deal, "etat") == 560_000
    assert_books_balance(deal)


def test_a_fractional_count_on_a_per_participant_metric_is_refused_before_anything_is_booked():
    deal = jardins()
    with pytest.raises(ValidationError) as refused:
        deal.result("training", "c1", "2026", "2.5", verify=False)
    assert "whole number" in str(refused.value)
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.OUTCOME_DUE).exists()


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "called_on, rule",
    [
        (D(9999, 12, 31), "future"),
        (D(1, 1, 1), "before the contract starts"),
        (D(2025, 12, 31), "before the contract starts"),
        (D(2026, 12, 4), "future"),
    ],
)
def test_a_ledger_date_outside_the_contract_or_after_today_is_refused(called_on, rule):
    deal = jardins()
    with frozen_today(D(2026, 12, 3)), pytest.raises(ValidationError) as refused:
        deal.draw("senior", "banque-solidaire", called_on, 100_000)
    assert rule in refused.value.message_dict["called_on"][0]
    assert not LedgerTransaction.objects.filter(programme=deal.programme).exists()


def test_a_ledger_date_refusal_writes_its_dates_in_the_users_language():
    deal = jardins()
    with (
        translation.override("fr"),
        frozen_today(D(2026, 12, 3)),
        pytest.raises(ValidationError) as refused,
    ):
        deal.draw("senior", "banque-solidaire", D(2025, 12, 31), 100_000)
    assert refused.value.message_dict["called_on"] == [
        "31 décembre 2025 est antérieur au début du contrat (1er janvier 2026)."
    ]


def test_no_new_capital_after_the_termination():
    deal = jardins()
    sib_services.programme_terminate(
        programme=deal.programme, termination_date=D(2026, 6, 30), reason="payer option"
    )
    with pytest.raises(ValidationError):
        deal.draw("senior", "banque-solidaire", D(2026, 7, 1), 100_000)


@pytest.mark.parametrize(
    "occurred_on, constraint",
    [
        ("9999-12-31", "ledger_date_in_contract"),
        ("0001-01-01", "ledger_date_in_contract"),
        ("2031-01-02", "ledger_capital_in_contract"),
    ],
)
def test_the_database_refuses_a_ledger_date_outside_the_contract(occurred_on, constraint):
    deal = jardins()
    with connection.cursor() as cursor, pytest.raises(Exception) as refused:
        cursor.execute(
            "INSERT INTO payments_ledger_transaction (programme_id, kind, occurred_on,"
            " description, reason, idempotency_key, created_at)"
            " VALUES (%s, 'drawdown', %s, '', '', '', now())",
            [deal.programme.pk, occurred_on],
        )
    assert constraint in str(refused.value) or "contract" in str(refused.value)


def test_a_drawdown_before_its_commitment_is_refused():
    deal = jardins()
    deal.commit("junior", "late-fund", 1_000_000, on=D(2026, 6, 1))
    with pytest.raises(ValidationError) as refused:
        deal.draw("junior", "late-fund", D(2026, 5, 31), 100_000)
    assert "commitment" in refused.value.message_dict["called_on"][0]


def test_the_position_reads_the_same_figures_as_of_an_earlier_chain_state():
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    seq = ChainEntry.objects.filter(programme=deal.programme).order_by("-seq").first().seq
    deal.result("training", "c2", "2026", 10)
    then = programme_position(programme=deal.programme, seq=seq)
    now = programme_position(programme=deal.programme)
    assert (then.totals["due"], now.totals["due"]) == (800_000, 1_600_000)


def test_reversing_a_payment_whose_advance_was_applied_makes_the_due_owed_again():
    # Found by the position property test: pay ahead, a due uses the advance, the
    # payment bounces. The advance must not go below zero; the payer owes the due again.
    deal = jardins()
    payment = services.payment_received_record(
        programme=deal.programme,
        payer=Organisation.objects.get(slug="etat"),
        amount=100_000,
        received_on=D(2027, 1, 15),
        actor=deal.manager,
        advance=True,
    )
    deal.result("training", "c1", "2026", 1)  # 560 € for the State, met by the advance
    services.ledger_transaction_reverse(original=payment, reason="bounced", actor=deal.manager)
    etat = programme_position(programme=deal.programme).payer("etat")
    assert (etat.advance, etat.received, etat.payable) == (0, 0, 56_000)
    assert_books_balance(deal)
