"""One language at a time (issue 14, part 6): the API answers in English unless the client
asks otherwise; the portal keeps French as its default.

Reproduces the hole: API clients sending no Accept-Language got French.
"""

import io

import pytest
from django.core.management import call_command
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


def _printed_schema(*args: str) -> str:
    out = io.StringIO()
    call_command("spectacular", *args, stdout=out)
    return out.getvalue()


def test_the_printed_schema_describes_the_api_in_its_own_default_language():
    # A command runs in the project's French; the schema a developer prints must read as
    # /api/schema/ answers a client that asks for no language: English.
    printed = _printed_schema()
    assert printed == _printed_schema("--lang", "en")
    assert printed != _printed_schema("--lang", "fr")
