"""Idempotency-Key on ledger writes, over HTTP."""

import json
import threading
import time
import urllib.error
import urllib.request
from datetime import date

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from payments import services
from payments.models import Drawdown, LedgerTransaction
from sib.models import ChainEntry, IdempotencyRecord
from tests.payments.ledger_support import make_deal


def _client(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_same_key_and_body_replays_the_original_response():
    deal = make_deal("idem-replay")
    url = f"/api/programmes/{deal.programme.pk}/drawdowns/create/"
    body = {"commitment": deal.commitment.pk, "called_on": "2026-02-01", "amount": 700}
    client = _client(deal.manager)
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Drawdown.objects.filter(commitment=deal.commitment).count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_a_conflict_naming_the_fields():
    deal = make_deal("idem-conflict")
    url = f"/api/programmes/{deal.programme.pk}/drawdowns/create/"
    body = {"commitment": deal.commitment.pk, "called_on": "2026-02-01", "amount": 700}
    client = _client(deal.manager)
    client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    response = client.post(
        url,
        {**body, "amount": 701, "called_on": "2026-02-02"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 409
    assert response.json()["differing_fields"] == ["amount", "called_on"]


@pytest.mark.django_db
def test_a_request_that_failed_validation_is_not_remembered():
    deal = make_deal("idem-invalid")
    url = f"/api/programmes/{deal.programme.pk}/drawdowns/create/"
    client = _client(deal.manager)
    bad = client.post(
        url,
        {"commitment": deal.commitment.pk, "called_on": "2026-02-01", "amount": 10**9},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.filter(key="k1").exists()
    good = client.post(
        url,
        {"commitment": deal.commitment.pk, "called_on": "2026-02-01", "amount": 10},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert good.status_code == 201


@pytest.mark.django_db
def test_ledger_writes_require_a_key_and_keys_are_per_programme():
    deal = make_deal("idem-scope")
    other = make_deal("idem-scope-2")
    body = {"payer": deal.payer.slug, "received_on": "2026-03-01", "amount": 50, "advance": True}
    client = _client(deal.manager)
    url = f"/api/programmes/{deal.programme.pk}/payments-received/create/"
    assert client.post(url, body, format="json").status_code == 400
    assert client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    other_body = {**body, "payer": other.payer.slug}
    response = _client(other.manager).post(
        f"/api/programmes/{other.programme.pk}/payments-received/create/",
        other_body,
        format="json",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    assert response.status_code == 201


@pytest.mark.django_db
def test_reversal_api_reverses_once_and_replays():
    deal = make_deal("idem-reverse")
    drawdown = services.drawdown_record(
        commitment=deal.commitment, called_on=date(2026, 2, 1), amount=5, actor=None
    )
    url = (
        f"/api/programmes/{deal.programme.pk}/ledger/transactions/"
        f"{drawdown.transaction_id}/reverse/"
    )
    client = _client(deal.manager)
    first = client.post(url, {"reason": "typo"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    replay = client.post(url, {"reason": "typo"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    second = client.post(url, {"reason": "typo"}, format="json", HTTP_IDEMPOTENCY_KEY="r2")
    assert (first.status_code, replay.status_code, second.status_code) == (201, 200, 409)
    assert first.json()["reverses"] == drawdown.transaction_id
    verify = client.get(f"/api/programmes/{deal.programme.pk}/ledger/verify/").json()
    set_up = ChainEntry.objects.filter(
        programme=deal.programme, kind__in=["payments.contract_version", "sib.role_change"]
    )
    assert verify["ok"] and verify["entries"] == set_up.count() + 2  # and the two postings


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_posts_with_one_key_make_one_transaction(live_server):
    deal = make_deal("idem-race")
    token = Token.objects.create(user=deal.manager).key
    url = f"{live_server.url}/api/programmes/{deal.programme.pk}/drawdowns/create/"
    body = json.dumps(
        {"commitment": deal.commitment.pk, "called_on": "2026-02-01", "amount": 1234}
    ).encode()
    barrier = threading.Barrier(50)
    responses: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def post() -> None:
        request = urllib.request.Request(  # noqa: S310 (the live server's http URL)
            url,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": "one-key",
            },
        )
        barrier.wait()
        # The live server's listen backlog is small: under load some of 50 simultaneous
        # connections are reset before a byte is read. A client retries with the same key,
        # which is what the key is for; every thread still ends with an HTTP answer.
        for attempt in range(20):
            try:
                with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                    result = (response.status, json.loads(response.read()))
                break
            except urllib.error.HTTPError as error:
                result = (error.code, json.loads(error.read()))
                break
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.05 * (attempt + 1))
        else:
            raise AssertionError("the live server never answered")
        with lock:
            responses.append(result)

    threads = [threading.Thread(target=post) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(responses) == 50
    assert LedgerTransaction.objects.filter(programme=deal.programme).count() == 1
    created = [body for status, body in responses if status == 201]
    assert len(created) == 1
    for status, answer in responses:
        assert status in {200, 201, 409}, answer
        if status == 409:
            assert "in progress" in answer["detail"]
        else:
            assert answer == created[0]
