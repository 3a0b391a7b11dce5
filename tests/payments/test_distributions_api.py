"""Distributions and guarantees over the API: idempotent writes, clear refusals."""

import pytest
from rest_framework.test import APIClient

from payments.distributions import distribution_proposal
from payments.models import LedgerTransaction
from payments.position import programme_position
from tests.payments.test_distributions import PAID_ON, funded

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_distribution_different_from_the_proposal_is_recorded_with_a_reason_once_per_key():
    deal = funded()
    proposal = distribution_proposal(programme=deal.programme, paid_on=PAID_ON)
    lines = [
        {"step_kind": step, "tranche": tranche, "recipient": recipient, "amount": amount - 1}
        for (step, tranche, recipient), amount in proposal.items()
    ]
    url = f"/api/programmes/{deal.programme.pk}/distributions/create/"
    client = client_for(deal.manager)
    body = {"paid_on": PAID_ON.isoformat(), "lines": lines}
    missing = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="d1")
    assert missing.status_code == 400 and "reason" in str(missing.json())
    body["reason"] = "rounded down, agreed with the investors"
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="d2")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="d2")
    assert (first.status_code, again.status_code) == (201, 200)
    assert (
        LedgerTransaction.objects.filter(programme=deal.programme, kind="distribution").count() == 1
    )
    compared = client.get(f"/api/programmes/{deal.programme.pk}/distributions/").json()
    assert {row["difference"] for row in compared} == {-1}
    assert len(compared) == len(proposal)


def test_a_distribution_without_an_idempotency_key_is_refused():
    deal = funded()
    response = client_for(deal.manager).post(
        f"/api/programmes/{deal.programme.pk}/distributions/create/",
        {"paid_on": PAID_ON.isoformat(), "lines": []},
        format="json",
    )
    assert response.status_code == 400


def test_a_guarantee_is_called_and_partly_paid_through_the_api():
    deal = funded()
    commitment = deal.commitments[("guarantee", "fondation-garantie")]
    client = client_for(deal.manager)
    base = f"/api/programmes/{deal.programme.pk}/"
    called = client.post(
        f"{base}guarantee-calls/create/",
        {
            "commitment": commitment.pk,
            "called_on": "2030-12-31",
            "amount": 12_000_000,
            "reason": "short",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="g1",
    )
    assert called.status_code == 201, called.json()
    too_much = client.post(
        f"{base}guarantee-payments/create/",
        {"commitment": commitment.pk, "received_on": "2031-01-15", "amount": 12_000_001},
        format="json",
        HTTP_IDEMPOTENCY_KEY="g2",
    )
    assert too_much.status_code == 400
    paid = client.post(
        f"{base}guarantee-payments/create/",
        {"commitment": commitment.pk, "received_on": "2031-01-15", "amount": 10_000_000},
        format="json",
        HTTP_IDEMPOTENCY_KEY="g3",
    )
    assert paid.status_code == 201, paid.json()
    [guarantor] = programme_position(programme=deal.programme).guarantors
    assert (guarantor.guarantee_called, guarantor.guarantee_paid) == (12_000_000, 10_000_000)


def test_a_guarantee_call_dated_in_year_491_is_refused():
    deal = funded()
    commitment = deal.commitments[("guarantee", "fondation-garantie")]
    response = client_for(deal.manager).post(
        f"/api/programmes/{deal.programme.pk}/guarantee-calls/create/",
        {
            "commitment": commitment.pk,
            "amount": 454401,
            "called_on": "0491-02-01",
            "reason": "fuzz",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="gc-491",
    )
    assert response.status_code == 400, response.content
    assert "called_on" in {error["field"] for error in response.json()["errors"]}


def test_a_form_body_with_a_nul_in_an_unknown_field_is_refused_not_a_server_error():
    # Found by the API fuzz run: a form-encoded request whose extra field held U+0000
    # answered 500 (the idempotency record stores the body as jsonb, which has no NUL).
    deal = funded()
    commitment = deal.commitments[("guarantee", "fondation-garantie")]
    response = client_for(deal.manager).post(
        f"/api/programmes/{deal.programme.pk}/guarantee-calls/create/",
        {
            "commitment": commitment.pk,
            "amount": 454401,
            "called_on": "2030-12-31",
            "reason": "short",
            "extra\u00df": "a\x00b",
        },
        HTTP_IDEMPOTENCY_KEY="gc-nul",
    )
    assert response.status_code == 400, response.content
    assert "extra\u00df" in {error["field"] for error in response.json()["errors"]}
    assert not LedgerTransaction.objects.filter(
        programme=deal.programme, kind="guarantee_call"
    ).exists()
