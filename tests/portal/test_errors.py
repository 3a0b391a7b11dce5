"""Error pages: translated, with a way back, and never a stack trace."""

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path
from django.utils import translation

from sib.urls import urlpatterns as sib_urlpatterns


def boom(request):  # type: ignore[no-untyped-def]
    raise RuntimeError("secret detail that must not reach the page")


urlpatterns = [path("boom/", boom), *sib_urlpatterns]


@pytest.mark.urls("tests.portal.test_errors")
@pytest.mark.django_db
def test_a_server_error_shows_the_500_page_without_details():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Erreur du serveur" in html
    assert "secret detail" not in html and "Traceback" not in html


def test_500_page_renders_without_a_request_in_both_languages():
    # Django renders 500.html with no context at all: nothing in it may need one.
    for language, title in (("fr", "Erreur du serveur"), ("en", "Server error")):
        with translation.override(language):
            assert title in render_to_string("500.html")


@pytest.mark.django_db
def test_unknown_url_gives_the_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


@pytest.mark.django_db
def test_a_form_posted_without_csrf_token_explains_what_to_do():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "Formulaire expiré" in response.content.decode()
