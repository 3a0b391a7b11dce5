"""The portal refuses a second amendment of a verified result while one awaits its decision:
the refusal sits on the amendment form, which keeps what was typed."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from outcomes.models import Result
from outcomes.services import ResultValues, result_amend
from tests.cast import Cast
from tests.portal.objects import verified_result

pytestmark = pytest.mark.django_db


def _post_amendment(cast: Cast, result_id: int, language: str):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(cast.users["lead_evaluator"])
    client.cookies["django_language"] = language
    url = reverse("outcomes_portal:result-detail", args=[cast.own.pk, result_id])
    return client.post(
        url,
        {
            "action": "amend",
            "amend-reason": "Recounted from the attendance sheets",
            "amend-stage": "interim",
            "amend-value": "11",
        },
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Result {original} already has an amendment awaiting its decision "
               "(result {pending})"),
        ("fr", "Le résultat {original} a déjà une rectification en attente de décision "
               "(résultat {pending})"),
    ],
)  # fmt: skip
def test_a_second_amendment_is_a_form_error_naming_the_pending_one(cast, language, expected):
    original = Result.objects.get(pk=verified_result(cast.own))
    pending = result_amend(
        result=original,
        user=cast.users["lead_evaluator"],
        reason="Two leavers counted twice",
        stage=None,
        values=ResultValues(value=Decimal(10)),
    )
    response = _post_amendment(cast, original.pk, language)
    assert response.status_code == 200
    html = response.content.decode()
    assert expected.format(original=original.pk, pending=pending.pk) in html
    assert "Recounted from the attendance sheets" in html  # the typed reason is kept
    assert Result.objects.filter(amends=original).count() == 1
