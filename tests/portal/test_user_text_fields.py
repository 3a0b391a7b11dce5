"""On the portal, free text with a bidi control is refused beside its field (sib.user_text)."""

import pytest
from django.test import Client
from django.urls import reverse

from outcomes.models import Result, ResultReview
from tests.cast import Cast
from tests.portal.objects import verified_result

pytestmark = pytest.mark.django_db

SPOOFED = "Paid \u202e€ 0001"


def _post(cast: Cast, role: str, language: str, **fields: str):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(cast.users[role])
    client.cookies["django_language"] = language
    result_id = verified_result(cast.own)
    url = reverse("outcomes_portal:result-detail", args=[cast.own.pk, result_id])
    return client.post(url, fields)


def test_a_dispute_comment_with_a_right_to_left_override_is_refused_at_the_comment(cast):
    response = _post(
        cast,
        "public_funder",
        "en",
        action="review",
        **{"review-verdict": "disputed", "review-comment": SPOOFED},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "comment contains the invisible control character U+202E (RIGHT-TO-LEFT" in html
    assert not ResultReview.objects.exists()


def test_an_amendment_reason_with_a_bidi_isolate_is_refused_in_french(cast):
    response = _post(
        cast,
        "lead_evaluator",
        "fr",
        action="amend",
        **{"amend-reason": "Recompté \u2066x\u2069", "amend-stage": "interim", "amend-value": "11"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "reason contient le caractère de contrôle invisible U+2066" in html
    assert not Result.objects.filter(amends__isnull=False).exists()
