"""Errors: problem details under /api/, the portal's page elsewhere."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_path_is_a_problem_not_an_html_page(client):
    response = client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_an_unknown_portal_path_is_the_portal_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
