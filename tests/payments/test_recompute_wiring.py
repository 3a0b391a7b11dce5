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
    body = {"payer": deal.payer.slug, "received_on": "2026-03-01", "amount": 5_000}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert (first.status_code, again.status_code) == (201, 200)
    messages = OutboxMessage.objects.filter(task_name=RECOMPUTE_TASK)
    assert [m.kwargs for m in messages] == [{"programme_id": deal.programme.pk}]
