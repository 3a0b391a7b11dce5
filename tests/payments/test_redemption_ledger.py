"""A principal redemption is an obligation in the ledger: the payer's due, its payment
notice and the schedule show the same figure (docs/ledger.md, "Principal redemptions").

The deal is tests/payments/test_redemption_end_to_end.py's: the junior loan drew
130 000 € (13 000 000 c), protected by the Département at maturity, 31 December 2030;
the waterfall repaid 39 000 € of it (30 %) before. The Département also owes 31 080 € of
outcome payments verified in 2026 (its 30 % share).
- 62 % >= 60 %: 100 % back, 130 000 € - 39 000 € = 91 000 € to pay (70 % of principal);
- 48 % < 60 %: the 50 % floor less the 30 % repaid = 20 %, 26 000 €;
- redeemed early in year 4 (30 June 2029): 75 % = 97 500 € - 39 000 € = 58 500 €.
"""

from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from payments.ledger import trial_balance
from payments.models import LedgerTransaction, TransactionKind
from payments.position import programme_position
from payments.reversals import ledger_transaction_reverse
from payments.schedule_builder import schedule_document
from payments.selectors_portal import money_overview
from payments.services import payment_received_record
from reports.notices import notice_data
from reports.selectors.report import report_data
from reports.selectors.state import chain_state
from reports.services import report_render
from sib.models import Organisation, Programme
from sib.services import programme_close
from tests.payments.test_redemption_end_to_end import (
    SLUG,
    load,
    protected_deal,
    redeemed_early_deal,
)
from tests.payments.test_redemption_end_to_end import manager as manager  # a fixture
from tests.reports.support import money, pdf_text

pytestmark = pytest.mark.django_db

OUTCOMES_DUE = 3_108_000  # the Département's 30 % of the outcome payments verified


def loaded(tmp_path: Path, document: dict[str, Any]) -> Programme:
    load(tmp_path, document)
    return Programme.objects.get(slug=SLUG)


def departement_pays(programme: Programme, amount: int, on: date, *, advance: bool = False):  # type: ignore[no-untyped-def]
    """Record a payment received from the Département, as the fund manager would."""
    return payment_received_record(
        programme=programme,
        payer=Organisation.objects.get(slug="departement-13"),
        amount=amount,
        received_on=on,
        actor=None,
        advance=advance,
    )


def agree(programme: Programme, amount: int, on: str, line: dict[str, str]) -> None:
    """The schedule, the position, the ledger and the notice (data and PDF, in English
    and French) all say the Département owes `amount` for the junior loan's redemption."""
    [record] = schedule_document(programme=programme)["schedule"]["redemptions"]
    assert (record["payer"], record["on"], record["amount"]) == ("departement-13", on, amount)
    departement = programme_position(programme=programme).payer("departement-13")
    assert departement.redemptions == (("junior", amount),)
    assert departement.due == OUTCOMES_DUE + amount
    assert departement.still_to_pay == OUTCOMES_DUE + amount
    [tx] = LedgerTransaction.objects.filter(
        programme=programme, kind=TransactionKind.REDEMPTION_DUE
    )
    assert tx.occurred_on == date.fromisoformat(on)
    debit, credit = trial_balance(programme_id=programme.pk)["EUR"]
    assert debit == credit
    payer = Organisation.objects.get(slug="departement-13")
    for lang, text in line.items():
        data = notice_data(
            programme=programme, payer=payer, language=lang, state=chain_state(programme=programme)
        )
        [redeemed] = [n for n in data.lines if n.redemption]
        assert (redeemed.metric, redeemed.amount) == (text, amount)
        assert data.figures.outstanding == departement.still_to_pay
        pdf = report_render(programme=programme, edition="payer_notice", language=lang, payer=payer)
        flat = " ".join(pdf_text(pdf).split())
        assert text in flat, text
        assert money(amount, lang) in flat


def at_maturity(name: str = "Junior loan") -> dict[str, str]:
    return {
        "en": f"Redemption of tranche {name} at maturity",
        "fr": f"Remboursement de la tranche {name} à l’échéance",
    }


def test_at_or_above_the_rate_the_payer_owes_the_whole_principal_left(manager, tmp_path):
    """62 %: 91 000 € booked as the Département's due on 31 December 2030."""
    programme = loaded(tmp_path, protected_deal("62"))
    agree(programme, 9_100_000, "2030-12-31", at_maturity(junior_name(programme)))


def test_below_the_rate_the_payer_owes_the_floor_less_what_was_repaid(manager, tmp_path):
    """48 %: 50 % - 30 % = 20 % of 130 000 €, 26 000 €."""
    programme = loaded(tmp_path, protected_deal("48"))
    agree(programme, 2_600_000, "2030-12-31", at_maturity(junior_name(programme)))


def test_an_early_redemption_in_year_4_is_owed_on_its_date(manager, tmp_path):
    """Redeemed 30 June 2029: 75 % - 30 % = 58 500 €, due that day."""
    programme = loaded(tmp_path, redeemed_early_deal())
    name = junior_name(programme)
    agree(
        programme,
        5_850_000,
        "2029-06-30",
        {
            "en": f"Early redemption of tranche {name}",
            "fr": f"Remboursement anticipé de la tranche {name}",
        },
    )


def junior_name(programme: Programme) -> str:
    investors = programme_position(programme=programme).investors
    return next(i.tranche_name for i in investors if i.tranche == "junior")


def test_the_payment_that_settles_it_is_not_distributed_twice(manager, tmp_path):
    """The Département pays 122 080 € on 15 January 2031: its 31 080 € of older outcome
    dues, then the 91 000 € redemption. The redemption line already paid the 91 000 € out
    as the junior loan's principal: the waterfall distributes the 31 080 € only."""
    programme = loaded(tmp_path, protected_deal("62"))
    before = schedule_document(programme=programme)
    payer = Organisation.objects.get(slug="departement-13")
    tx = payment_received_record(
        programme=programme,
        payer=payer,
        amount=OUTCOMES_DUE + 9_100_000,
        received_on=date(2031, 1, 15),
        actor=None,
    )
    departement = programme_position(programme=programme).payer("departement-13")
    assert (departement.due, departement.still_to_pay) == (OUTCOMES_DUE + 9_100_000, 0)
    after = schedule_document(programme=programme)
    assert after["schedule"]["redemptions"] == before["schedule"]["redemptions"]
    paid = [p for p in after["schedule"]["payments"] if p["on"] == "2031-01-15"]
    assert [p["amount"] for p in paid] == [OUTCOMES_DUE]
    [junior] = [i for i in after["investors"] if i["investor"] == "fonds-impact"]
    assert junior["proposed_principal_repayment"] == 13_000_000
    # Reversed, the payment is owed again and nothing more is distributed.
    ledger_transaction_reverse(original=tx, reason="Bank returned it", actor=None)
    assert programme_position(programme=programme).payer("departement-13").still_to_pay == (
        OUTCOMES_DUE + 9_100_000
    )
    [due] = LedgerTransaction.objects.filter(kind=TransactionKind.REDEMPTION_DUE)
    # Booked by the service: it changes with what is behind it, never by hand.
    with pytest.raises(ValidationError) as refused:
        ledger_transaction_reverse(original=due, reason="Not owed", actor=None)
    assert set(refused.value.message_dict) == {"transaction"}


def test_a_payment_before_maturity_lowers_the_redemption_by_a_restatement(manager, tmp_path):
    """Recorded late, a payment of 13 000 € dated 30 June 2030 goes through the waterfall
    to the junior principal first: 52 000 € repaid, the redemption falls to 78 000 €,
    booked as a restatement of -13 000 €, never an edit."""
    programme = loaded(tmp_path, protected_deal("62"))
    departement_pays(programme, 1_300_000, date(2030, 6, 30))
    departement = programme_position(programme=programme).payer("departement-13")
    assert departement.redemptions == (("junior", 7_800_000),)
    booked = LedgerTransaction.objects.filter(kind=TransactionKind.REDEMPTION_DUE)
    assert [t.description for t in booked.order_by("id")] == [
        "Principal redemption due: tranche junior, closure",
        "Principal redemption restated: tranche junior",
    ]
    [record] = schedule_document(programme=programme)["schedule"]["redemptions"]
    assert record["amount"] == 7_800_000


def test_a_redemption_owed_does_not_use_the_contract_cap(manager, tmp_path):
    """The cap limits outcome payments; a redemption is principal coming back. With 91 000 €
    of redemption owed, the share of the cap used is the outcome payments due alone, on the
    dashboard figures and in the report's summary alike."""
    programme = loaded(tmp_path, protected_deal("62"))
    totals = programme_position(programme=programme).totals
    assert totals["redemption"] == 9_100_000
    assert programme.contract_cap
    expected = Fraction(totals["due"] - 9_100_000, programme.contract_cap)
    assert money_overview(programme=programme, today=date(2031, 1, 1)).cap_used == expected
    report = report_data(
        programme=programme, edition="public", language="en", state=chain_state(programme=programme)
    )
    assert report.summary.cap_used == expected


def test_an_advance_paid_before_maturity_counts_once_towards_the_redemption(manager, tmp_path):
    """Issue 11. Still active, the Département pays 44 080 € on 30 June 2030: its 31 080 €
    of outcome dues and 13 000 € ahead (an advance). The programme then closes and the
    junior loan's redemption falls due on 31 December 2030.

    Without the advance, its 31 080 € through the waterfall repay the junior principal and
    the redemption is 91 000 € - 31 080 € = 59 920 €: 91 000 € paid in all. The 13 000 €
    paid ahead must count once: either they lower the redemption or they settle it, never
    both. Counted once, the Département still owes 91 000 € - 44 080 € = 46 920 €; counted
    twice (through the waterfall, then applied to the redemption due), 33 920 €."""
    document = protected_deal("62")
    document["programme"]["status"] = "active"
    programme = loaded(tmp_path, document)
    departement_pays(programme, OUTCOMES_DUE + 1_300_000, date(2030, 6, 30), advance=True)
    assert programme_position(programme=programme).payer("departement-13").advance == 1_300_000
    programme_close(programme=programme)
    position = programme_position(programme=programme)
    departement = position.payer("departement-13")
    assert departement.received == OUTCOMES_DUE + 1_300_000
    assert departement.still_to_pay == 4_692_000
    assert departement.received + departement.still_to_pay == 9_100_000
    assert departement.advance == 0
    # The schedule and the ledger say the same redemption, and the junior loan is repaid
    # its 130 000 € once: 39 000 € + 31 080 € by the waterfall, 59 920 € redeemed.
    [record] = schedule_document(programme=programme)["schedule"]["redemptions"]
    assert departement.redemptions == (("junior", record["amount"]),)
    assert record["amount"] == 5_992_000
    [junior] = [
        i
        for i in schedule_document(programme=programme)["investors"]
        if i["investor"] == "fonds-impact"
    ]
    assert junior["proposed_principal_repayment"] == 13_000_000
    assert sum(p.due for p in position.payers) - sum(p.received for p in position.payers) == sum(
        p.outstanding for p in position.payers
    )
    debit, credit = trial_balance(programme_id=programme.pk)["EUR"]
    assert debit == credit


def test_an_advance_above_the_redemption_neither_lowers_it_nor_is_lost(manager, tmp_path):
    """Issue 11, the advance larger than the redemption: 31 080 € + 70 000 € paid on
    30 June 2030. 59 920 € of the advance settle the redemption (not lowered by it); the
    10 080 € left stay an advance for younger dues, and go through the waterfall after
    the redemption date, so they lower nothing either: 101 080 € paid, 91 000 € owed."""
    document = protected_deal("62")
    document["programme"]["status"] = "active"
    programme = loaded(tmp_path, document)
    departement_pays(programme, OUTCOMES_DUE + 7_000_000, date(2030, 6, 30), advance=True)
    programme_close(programme=programme)
    departement = programme_position(programme=programme).payer("departement-13")
    assert departement.redemptions == (("junior", 5_992_000),)
    assert (departement.still_to_pay, departement.advance) == (0, 1_008_000)
    [record] = schedule_document(programme=programme)["schedule"]["redemptions"]
    assert record["amount"] == 5_992_000
    debit, credit = trial_balance(programme_id=programme.pk)["EUR"]
    assert debit == credit


def test_a_late_payment_dated_before_maturity_beyond_the_dues_settles_the_redemption(
    manager, tmp_path
):
    """The same money recorded late: closed, the Département owes 122 080 €; it records
    50 000 € dated 30 June 2030. 31 080 € settle its outcome dues through the waterfall and
    lower the redemption to 59 920 €; the 18 920 € beyond settle the redemption and do not
    lower it too: 41 000 € still to pay, 91 000 € in all."""
    programme = loaded(tmp_path, protected_deal("62"))
    departement_pays(programme, 5_000_000, date(2030, 6, 30))
    departement = programme_position(programme=programme).payer("departement-13")
    assert departement.redemptions == (("junior", 5_992_000),)
    assert departement.still_to_pay == 4_100_000
    debit, credit = trial_balance(programme_id=programme.pk)["EUR"]
    assert debit == credit
