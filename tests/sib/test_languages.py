"""One language at a time (issue 14, part 6): the API answers in English unless the client
asks otherwise; the portal keeps French as its default.

Reproduces the hole: API clients sending no Accept-Language got French.
"""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_api_client_that_asks_for_no_language_gets_english():
    answer = Client().get("/api/programmes/")
    assert answer.status_code == 401
    assert answer["Content-Language"] == "en"
    assert answer.json()["detail"] == "Authentication credentials were not provided."


def test_an_api_client_that_asks_for_french_gets_french():
    answer = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/api/programmes/")
    assert answer["Content-Language"] == "fr"
    assert answer.json()["detail"] != "Authentication credentials were not provided."


def test_the_portal_stays_french_by_default():
    page = Client().get("/accounts/login/")
    assert page["Content-Language"] == "fr"
    assert "Connexion" in page.content.decode() or "connecter" in page.content.decode()
