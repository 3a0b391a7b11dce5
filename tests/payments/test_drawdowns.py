"""Concurrent drawdowns on one commitment never overdraw it."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from payments import ledger, services
from payments.models import Commitment, Drawdown
from sib.chain_verification import chain_verify
from tests.payments.ledger_support import make_deal


@pytest.mark.django_db(transaction=True)
def test_concurrent_drawdowns_on_separate_connections_cannot_overdraw():
    deal = make_deal("race", commitment=10_000)
    threads_count, amount = 8, 3_000  # each fits alone; only 3 fit together
    barrier = threading.Barrier(threads_count)
    outcomes: list[str] = []

    def draw() -> None:
        try:
            commitment = Commitment.objects.select_related("tranche", "programme", "investor").get(
                pk=deal.commitment.pk
            )
            barrier.wait()
            services.drawdown_record(
                commitment=commitment, called_on=date(2026, 2, 1), amount=amount, actor=None
            )
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=draw) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 5
    assert ledger.drawn_amount(commitment_id=deal.commitment.pk) == 9_000
    assert Drawdown.objects.filter(commitment=deal.commitment).count() == 3
    assert chain_verify(programme_id=deal.programme.pk).ok
