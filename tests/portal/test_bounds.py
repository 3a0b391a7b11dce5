"""The portal's forms keep the same bounds as the API (sib.bounds): never a 500."""

import uuid

import pytest
from django.urls import reverse

from outcomes.models import Result
from payments.models import Drawdown
from tests.portal.objects import verified_result
from tests.portal.test_service_messages import client_for, commitment_of_5000_euros

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("amount", "said"),
    [
        ("1e30", "Amount (EUR): write an amount as 1,234.56 or 1234.56."),
        (str(2**70), "Too large"),
        ("10000000000000.01", "Too large"),
    ],
)
def test_a_drawdown_amount_beyond_the_money_bound_is_refused_beside_the_field(cast, amount, said):
    commitment = commitment_of_5000_euros(cast)
    url = reverse("payments_portal:drawdown-record", kwargs={"programme_id": cast.own.pk})
    response = client_for(cast.users["fund_manager"], "en").post(
        url,
        {
            "commitment": commitment.pk,
            "called_on": "2026-02-01",
            "amount": amount,
            "idempotency_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    assert said in response.content.decode()
    assert not Drawdown.objects.exists()


def _submit(cast, **values: str):  # type: ignore[no-untyped-def]
    verified = Result.objects.get(pk=verified_result(cast.own))  # cohort planned at 100
    url = reverse("outcomes_portal:result-submit", kwargs={"programme_id": cast.own.pk})
    body = {
        "metric": str(verified.metric_id),
        "cohort": str(verified.cohort_id),
        "period": str(verified.period_id),
        "stage": "final",
        "value": "3",
    }
    return client_for(cast.users["evaluator"], "en").post(url, {**body, **values})


@pytest.mark.parametrize("field", ["sample_size", "comparison_sample_size"])
def test_a_sample_size_beyond_int4_is_refused_beside_the_field(cast, field):
    response = _submit(cast, **{field: str(2**70)})
    assert response.status_code == 200
    assert "999999999" in response.content.decode().replace("\u202f", "").replace(",", "")
    assert Result.objects.count() == 1  # only the verified one from the setup


def test_a_megabyte_note_is_refused(cast):
    response = _submit(cast, note="x" * 1_000_000)
    assert response.status_code in (200, 413)
    assert Result.objects.count() == 1


def test_a_count_above_the_planned_size_can_be_declared_on_the_portal(cast):
    assert _submit(cast, value="151").status_code == 200
    assert Result.objects.count() == 1
    # Seen the cell's verified interim already (the final replaces it: outcomes.cells).
    response = _submit(
        cast, value="151", over_planned_size="on", note="A second intake.", confirmed="on"
    )
    assert response.status_code == 302
    assert Result.objects.count() == 2
