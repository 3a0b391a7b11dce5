"""A redemption falls due on its date even when nothing else happens (issue 11).

The deals are tests/payments/test_redemption_end_to_end.py's: the junior loan drew
130 000 €, the waterfall repaid 39 000 € of it; the Département tops up.
- redeemed early on 30 June 2029, agreed ahead (year 4, 75 %): 58 500 € due that day;
- closed, matured on 31 December 2030 at a 62 % rate: 91 000 € due that day.
Booked ahead, neither is in the ledger (it records what has happened); once the date has
passed, the daily task books it through the same service as any change, once.
"""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from payments.models import LedgerTransaction, TransactionKind
from payments.position import programme_position
from payments.redemption_dues import BOOK_TASK, redemption_dues_schedule
from payments.tasks import redemption_dues_book_task
from sib.celery import app as celery_app
from sib.chain_verification import chain_verify
from sib.clock import frozen_today
from sib.models import OutboxMessage, Programme
from tests.payments.test_redemption_end_to_end import (
    SLUG,
    load,
    protected_deal,
    redeemed_early_deal,
)
from tests.payments.test_redemption_end_to_end import manager as manager  # a fixture

pytestmark = pytest.mark.django_db


def redemptions_booked(programme: Programme) -> list[tuple[date, int]]:
    """Return (date, amount owed more) of each redemption_due transaction, in order."""
    booked = LedgerTransaction.objects.filter(
        programme=programme, kind=TransactionKind.REDEMPTION_DUE
    ).order_by("id")
    return [
        (tx.occurred_on, sum(leg.debit - leg.credit for leg in tx.legs.all() if leg.debit))
        for tx in booked
    ]


def run_the_daily_task() -> int:
    """Do what beat does once a day, and what the worker then does with each message."""
    queued = redemption_dues_schedule()
    for message in OutboxMessage.objects.filter(task_name=BOOK_TASK, completed_at__isnull=True):
        redemption_dues_book_task.apply(kwargs=message.kwargs, task_id=str(message.id))
    return queued


def test_an_early_redemption_agreed_ahead_is_booked_once_its_date_has_passed(manager, tmp_path):
    with frozen_today(date(2029, 1, 15)):
        load(tmp_path, redeemed_early_deal())
        programme = Programme.objects.get(slug=SLUG)
        run_the_daily_task()
        assert redemptions_booked(programme) == []
    with frozen_today(date(2029, 7, 1)):
        assert run_the_daily_task() == 1
        assert redemptions_booked(programme) == [(date(2029, 6, 30), 5_850_000)]
        departement = programme_position(programme=programme).payer("departement-13")
        assert departement.redemptions == (("junior", 5_850_000),)
        # Twice: the second run finds no difference and books nothing.
        run_the_daily_task()
        assert redemptions_booked(programme) == [(date(2029, 6, 30), 5_850_000)]
    assert chain_verify(programme_id=programme.pk).ok


def test_a_maturity_after_the_closure_is_booked_the_day_after_it(manager, tmp_path):
    with frozen_today(date(2030, 12, 30)):
        load(tmp_path, protected_deal("62"))
        programme = Programme.objects.get(slug=SLUG)
        assert redemptions_booked(programme) == []
    with frozen_today(date(2031, 1, 1)):
        run_the_daily_task()
        assert redemptions_booked(programme) == [(date(2030, 12, 31), 9_100_000)]
        [tx] = LedgerTransaction.objects.filter(kind=TransactionKind.REDEMPTION_DUE)
        assert tx.description == "Principal redemption due: tranche junior, date reached"


def test_the_command_books_what_is_due_and_a_second_run_nothing(manager, tmp_path):
    with frozen_today(date(2029, 1, 15)):
        load(tmp_path, redeemed_early_deal())
    with frozen_today(date(2029, 7, 1)):
        first, again = StringIO(), StringIO()
        call_command("redemption_dues", stdout=first)
        call_command("redemption_dues", SLUG, stdout=again)
    assert first.getvalue() == f"{SLUG}: 1 transactions booked.\n"
    assert again.getvalue() == f"{SLUG}: 0 transactions booked.\n"


def test_beat_asks_for_the_redemption_dues_daily():
    celery_app.loader.import_default_modules()
    celery_app.finalize()
    schedule = celery_app.conf.beat_schedule
    assert schedule["redemption dues"]["task"] == "payments.redemption_dues_schedule"
    assert schedule["redemption dues"]["schedule"] == 24 * 3600
    assert {"payments.redemption_dues_schedule", BOOK_TASK} <= set(celery_app.tasks)
