"""The API root, errors in the browsable API, and a schema that says what the API answers."""

import pytest
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from sib.api.root import ENTRY_POINTS
from tests.cast import make_cast

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
PAGINATED = {
    "organisation_list",
    "programme_list",
    "programme_variation_list",
    "commitment_list",
    "drawdown_list",
    "ledger_account_list",
    "ledger_transaction_list",
    "notice_list",
    "participant_record_list",
    "report_list",
    "result_list",
    "tranche_list",
}
BY_CURSOR = {"ledger_transaction_list", "result_list", "participant_record_list"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def json_schema(operation, code):
    content = operation["responses"].get(code, {}).get("content", {})
    return content.get("application/json", {}).get("schema", {})


def test_api_root_lists_the_entry_points_to_anyone():
    response = APIClient().get("/api/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == set(ENTRY_POINTS)
    assert body["programmes"] == "http://testserver/api/programmes/"
    assert body["token"] == "http://testserver/api/auth/token/"
    for url in body.values():
        resolve(url.removeprefix("http://testserver"))  # each one is a route


def test_api_root_entry_points_answer_a_client_that_follows_them():
    cast = make_cast("root")
    api = APIClient()
    api.force_authenticate(cast.staff)
    body = api.get("/api/", HTTP_ACCEPT="application/json").json()

    for name in ("programmes", "organisations", "schema"):
        assert api.get(body[name]).status_code == 200, name


def test_browsable_api_shows_an_error_as_a_page_not_as_source():
    cast = make_cast("browse")
    api = APIClient()
    api.force_login(cast.users["investor"])

    page = api.get(f"/api/programmes/{cast.foreign.pk}/", HTTP_ACCEPT="text/html")

    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert html.lstrip().lower().startswith("<!doctype html")
    # The problem is shown inside the page, as JSON.
    assert "&quot;status&quot;: 404" in html
    # A client asking for JSON still gets problem details.
    problem = api.get(f"/api/programmes/{cast.foreign.pk}/", HTTP_ACCEPT="application/json")
    assert problem.status_code == 404
    assert problem["Content-Type"] == PROBLEM
    assert problem.json()["status"] == 404


def test_browsable_api_shows_a_refused_write_as_a_page():
    cast = make_cast("browsew")
    api = APIClient(enforce_csrf_checks=False)
    api.force_login(cast.users["investor"])

    page = api.post(
        f"/api/programmes/{cast.own.pk}/close/", {}, format="json", HTTP_ACCEPT="text/html"
    )

    assert page.status_code == 403
    assert page["Content-Type"].startswith("text/html")
    assert "&quot;status&quot;: 403" in page.content.decode()


def test_paginated_lists_are_documented_as_pages(schema):
    found = set()
    for _path, method, operation in operations(schema):
        if method != "get":
            continue
        ref = json_schema(operation, "200").get("$ref", "")
        if ref.startswith("#/components/schemas/Paginated"):
            found.add(operation["operationId"])
            page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
            names = {parameter["name"] for parameter in operation.get("parameters", [])}
            if operation["operationId"] in BY_CURSOR:
                # Append-only lists page by a keyset cursor: no count (sib.api.pagination).
                assert {"next", "previous", "results"} <= set(page["properties"])
                assert "count" not in page["properties"]
                assert {"cursor", "page_size"} <= names
            else:
                assert {"count", "next", "previous", "results"} <= set(page["properties"])
                assert {"page", "page_size"} <= names
    assert found == PAGINATED


def test_a_paginated_list_answers_what_its_schema_says(schema):
    cast = make_cast("pages")
    api = APIClient()
    api.force_authenticate(cast.users["fund_manager"])

    body = api.get("/api/programmes/").json()

    page = schema["components"]["schemas"]["PaginatedProgrammeOutputList"]
    assert set(body) == set(page["properties"])
    assert body["count"] == 1
    assert body["results"][0]["slug"] == cast.own.slug


def test_every_operation_documents_its_errors_as_problems(schema):
    assert "Problem" in schema["components"]["schemas"]
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        expected = {"400"}
        if operation["operationId"] not in {
            "auth_token_create",  # reads no credentials: it issues them
            "report_published_at",
            "report_published_latest",
        }:
            expected.add("401")
        if operation.get("security") != [{}] and operation["operationId"] not in {
            "api_root",
            "auth_token_create",
            "report_published_at",
            "report_published_latest",
        }:
            expected.add("403")
        if "{" in path or operation["operationId"] in PAGINATED:
            expected.add("404")
        if method in {"post", "patch"}:
            expected |= {"413", "415"}
            if operation["operationId"] != "auth_token_create":
                expected.add("409")
        assert expected <= codes, (method, path, sorted(expected - codes))
        for code in expected:
            content = operation["responses"][code]["content"]
            assert content == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def test_throttled_operations_document_429(schema):
    throttled = {
        operation["operationId"]
        for _path, _method, operation in operations(schema)
        if "429" in operation["responses"]
    }
    assert throttled == {
        "report_request",
        "result_verify",
        "results_import",
        "results_import_queue",
        "schedule_scenario_retrieve",
    }
