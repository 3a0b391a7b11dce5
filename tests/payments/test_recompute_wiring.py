"""What enqueues a schedule recompute: every move of the chain, once per transaction.

The chain calls payments back in the appending transaction (sib.chain.chain_moved_register),
and payments writes one outbox message per programme and transaction. These tests commit
for real (`transaction=True`): "once per transaction" is about real transactions.
"""

from datetime import date

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from payments import services
from payments.outcome_payments import RECOMPUTE_TASK
from sib import services as sib_services
from sib.models import OutboxMessage
from tests.payments.ledger_support import make_deal

pytestmark = pytest.mark.django_db(transaction=True)


def recomputes_since(seen: set) -> list[dict]:  # type: ignore[type-arg]
    messages = OutboxMessage.objects.filter(task_name=RECOMPUTE_TASK).exclude(id__in=seen)
    return [m.kwargs for m in messages.order_by("created_at")]


def queued() -> set:  # type: ignore[type-arg]
    return set(OutboxMessage.objects.filter(task_name=RECOMPUTE_TASK).values_list("id", flat=True))


def test_payment_received_over_the_api_enqueues_one_recompute_and_a_replay_none():
    deal = make_deal("wired-payment")
    seen = queued()
    client = APIClient()
    client.force_authenticate(deal.manager)
    url = f"/api/programmes/{deal.programme.pk}/payments-received/create/"
    body = {"payer": deal.payer.slug, "received_on": "2026-03-01", "amount": 5_000, "advance": True}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert recomputes_since(seen) == [{"programme_id": deal.programme.pk}]


def test_a_drawdown_and_its_reversal_each_enqueue_a_recompute():
    deal = make_deal("wired-drawdown")
    seen = queued()
    client = APIClient()
    client.force_authenticate(deal.manager)
    base = f"/api/programmes/{deal.programme.pk}"
    drawn = client.post(
        f"{base}/drawdowns/create/",
        {"commitment": deal.commitment.pk, "called_on": "2026-02-01", "amount": 10_000},
        format="json",
        HTTP_IDEMPOTENCY_KEY="draw-1",
    )
    assert drawn.status_code == 201, drawn.content
    assert len(recomputes_since(seen)) == 1
    reversed_ = client.post(
        f"{base}/ledger/transactions/{drawn.json()['transaction']}/reverse/",
        {"reason": "Called twice by mistake"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="reverse-1",
    )
    assert reversed_.status_code == 201, reversed_.content
    assert recomputes_since(seen) == [{"programme_id": deal.programme.pk}] * 2


def test_a_refused_drawdown_enqueues_nothing():
    deal = make_deal("wired-refused")
    seen = queued()
    client = APIClient()
    client.force_authenticate(deal.manager)
    response = client.post(
        f"/api/programmes/{deal.programme.pk}/drawdowns/create/",
        {"commitment": deal.commitment.pk, "called_on": "2026-02-01", "amount": 10**15},
        format="json",
        HTTP_IDEMPOTENCY_KEY="draw-too-much",
    )
    assert response.status_code == 400
    assert recomputes_since(seen) == []


def test_a_termination_enqueues_a_recompute():
    deal = make_deal("wired-terminated")
    seen = queued()
    sib_services.programme_terminate(
        programme=deal.programme, termination_date=date(2026, 6, 30), reason="Payer option"
    )
    assert recomputes_since(seen) == [{"programme_id": deal.programme.pk}]


def test_a_contract_change_enqueues_a_recompute():
    deal = make_deal("wired-commitment")
    seen = queued()
    services.commitment_create(
        tranche=deal.tranche,
        investor=deal.payer.__class__.objects.create(
            slug="wired-commitment-second", name="Second", kinds=["investor"]
        ),
        amount=500_000,
        committed_on=date(2026, 2, 1),
    )
    assert recomputes_since(seen) == [{"programme_id": deal.programme.pk}]


def test_many_chain_moves_in_one_transaction_enqueue_one_recompute():
    deal = make_deal("wired-batch")
    seen = queued()
    with transaction.atomic():
        for month in (2, 3, 4):
            services.drawdown_record(
                commitment=deal.commitment,
                called_on=date(2026, month, 1),
                amount=1_000,
                actor=deal.manager,
            )
    assert recomputes_since(seen) == [{"programme_id": deal.programme.pk}]


def test_a_recompute_queued_in_a_rolled_back_savepoint_is_queued_again():
    deal = make_deal("wired-savepoint")
    seen = queued()
    with transaction.atomic():
        try:
            with transaction.atomic():
                services.drawdown_record(
                    commitment=deal.commitment,
                    called_on=date(2026, 2, 1),
                    amount=1_000,
                    actor=deal.manager,
                )
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        assert recomputes_since(seen) == []
        services.drawdown_record(
            commitment=deal.commitment, called_on=date(2026, 3, 1), amount=1_000, actor=None
        )
    assert recomputes_since(seen) == [{"programme_id": deal.programme.pk}]
