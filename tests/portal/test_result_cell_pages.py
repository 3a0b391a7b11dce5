"""The submit page says what a result does to the other results of its cell (outcomes.cells)
before it is made, and refuses a second result that is neither a final nor declared."""

import pytest
from django.test import Client
from django.urls import reverse

from outcomes.models import Result
from sib.models import User
from tests.cast import Cast
from tests.portal.objects import verified_result

pytestmark = pytest.mark.django_db


def _submit(cast: Cast, language: str = "en", **fields: str):  # type: ignore[no-untyped-def]
    already = Result.objects.get(pk=verified_result(cast.own))
    client = Client()
    client.force_login(User.objects.get(pk=already.submitted_by_id))
    client.cookies["django_language"] = language
    data = {
        "metric": already.metric_id,
        "cohort": already.cohort_id,
        "period": already.period_id,
        "value": "25",
        **fields,
    }
    url = reverse("outcomes_portal:result-submit", kwargs={"programme_id": cast.own.pk})
    return already, client.post(url, data)


def test_a_final_after_a_verified_interim_is_shown_replacing_it_before_it_is_made(cast):
    already, response = _submit(cast, stage="final")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-in-cell="{already.pk}" data-effect="replaces"' in html
    assert 'name="confirmed" value="on"' in html
    assert Result.objects.filter(programme=cast.own).count() == 1

    _, confirmed = _submit(cast, stage="final", confirmed="on")
    assert confirmed.status_code == 302
    assert Result.objects.filter(programme=cast.own, stage="final").count() == 1


def test_a_second_interim_is_refused_on_the_page_in_french(cast):
    already, response = _submit(cast, "fr", stage="interim")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Le résultat n° {already.pk} (intermédiaire) existe déjà" in html
    assert Result.objects.filter(programme=cast.own).count() == 1


def test_a_declared_additional_interim_is_shown_adding_then_made(cast):
    fields = {"stage": "interim", "additional": "on", "additional_reason": "second site"}
    already, response = _submit(cast, **fields)
    assert f'data-in-cell="{already.pk}" data-effect="adds"' in response.content.decode()
    _, confirmed = _submit(cast, confirmed="on", **fields)
    assert confirmed.status_code == 302
    extra = Result.objects.get(programme=cast.own, additional=True)
    assert extra.additional_reason == "second site"
