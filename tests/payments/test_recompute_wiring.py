"""What enqueues a schedule recompute: every change the schedule depends on, through the outbox."""

import pytest
from rest_framework.test import APIClient

from payments.outcome_payments import RECOMPUTE_TASK
from sib.models import OutboxMessage
from tests.payments.ledger_support import make_deal


@pytest.mark.django_db
def test_payment_received_over_the_api_enqueues_one_recompute_and_a_replay_none():
    deal = make_deal("wired-payment")
    client = APIClient()
    client.force_authenticate(deal.manager)
    url = f"/api/programmes/{deal.programme.pk}/payments-received/create/"
    body = {"payer": deal.payer.slug, "received_on": "2026-03-01", "amount": 5_000, "advance": True}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert (first.status_code, again.status_code) == (201, 200)
    messages = OutboxMessage.objects.filter(task_name=RECOMPUTE_TASK)
    assert [m.kwargs for m in messages] == [{"programme_id": deal.programme.pk}]


@pytest.mark.django_db
def test_a_drawdown_and_its_reversal_each_enqueue_a_recompute():
    deal = make_deal("wired-drawdown")
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
    assert OutboxMessage.objects.filter(task_name=RECOMPUTE_TASK).count() == 1
    reversed_ = client.post(
        f"{base}/ledger/transactions/{drawn.json()['transaction']}/reverse/",
        {"reason": "Called twice by mistake"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="reverse-1",
    )
    assert reversed_.status_code == 201, reversed_.content
    messages = OutboxMessage.objects.filter(task_name=RECOMPUTE_TASK)
    assert [m.kwargs for m in messages] == [{"programme_id": deal.programme.pk}] * 2


@pytest.mark.django_db
def test_a_refused_drawdown_enqueues_nothing():
    deal = make_deal("wired-refused")
    client = APIClient()
    client.force_authenticate(deal.manager)
    response = client.post(
        f"/api/programmes/{deal.programme.pk}/drawdowns/create/",
        {"commitment": deal.commitment.pk, "called_on": "2026-02-01", "amount": 10**15},
        format="json",
        HTTP_IDEMPOTENCY_KEY="draw-too-much",
    )
    assert response.status_code == 400
    assert not OutboxMessage.objects.filter(task_name=RECOMPUTE_TASK).exists()
