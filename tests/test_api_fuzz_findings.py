"""What the schemathesis run (tests/test_api_fuzz.py) found, each kept as its own test."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from payments.models import Tranche
from sib.demo import DEMO_SLUG, demo_seed
from sib.models import Programme, User

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def components():
    return SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]


@pytest.fixture
def demo():
    demo_seed()
    return Programme.objects.get(slug=DEMO_SLUG)


def api_as(username: str) -> APIClient:
    api = APIClient()
    api.force_authenticate(User.objects.get(username=username))
    return api


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("MembershipOutput", "organisation"),  # an evaluator's membership has none
        ("ReportOutput", "payer"),  # only a payer's notice names one
        ("TrancheOutput", "protects"),  # only a first-loss tranche protects another
    ],
)
def test_fields_that_answer_null_are_declared_nullable(components, component, field):
    assert components[component]["properties"][field].get("nullable") is True


def test_a_membership_without_organisation_answers_null(demo):
    body = api_as("manager").get(f"/api/programmes/{demo.pk}/memberships/").json()

    evaluator = next(row for row in body if row["username"] == "evaluator")
    assert evaluator["organisation"] is None


def test_a_tranche_that_protects_nothing_answers_null(demo):
    body = api_as("manager").get(f"/api/programmes/{demo.pk}/tranches/").json()

    unprotected = Tranche.objects.filter(programme=demo, protects__isnull=True)
    assert unprotected.exists()
    keys = {row["key"]: row["protects"] for row in body["results"]}
    for tranche in unprotected:
        assert keys[tranche.key] is None


# Negative mode (schema-invalid requests) found these accepted as if valid.


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return {error["field"]: error["message"] for error in response.json()["errors"]}


@pytest.mark.parametrize("page_size", ["", "abc", "false", "0.0", "1e3", "0", "-5"])
def test_a_page_size_that_is_not_a_whole_number_from_one_is_refused_naming_it(demo, page_size):
    response = api_as("manager").get(
        f"/api/programmes/{demo.pk}/tranches/", {"page_size": page_size}
    )

    assert "page_size" in errors_of(response)


def test_a_cursor_list_refuses_a_page_size_it_cannot_read_too(demo):
    response = api_as("manager").get(f"/api/programmes/{demo.pk}/results/", {"page_size": "false"})

    assert "page_size" in errors_of(response)


@pytest.mark.parametrize("number", ["", "abc", "0", "-1", "last", "1.5"])
def test_a_page_that_is_not_a_whole_number_from_one_is_refused_naming_it(demo, number):
    response = api_as("manager").get("/api/programmes/", {"page": number})

    assert "page" in errors_of(response)


def test_a_page_and_page_size_in_range_still_page(demo):
    response = api_as("manager").get(
        f"/api/programmes/{demo.pk}/tranches/", {"page": "2", "page_size": "1"}
    )

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_the_schema_bounds_page_and_page_size(components):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in schema["paths"]["/api/programmes/{programme_id}/tranches/"]["get"][
            "parameters"
        ]
    }

    assert parameters["page"] == {"type": "integer", "minimum": 1}
    # Over 500 is read as 500 (tests/sib/test_api_base.py), so it is not out of bounds.
    assert parameters["page_size"] == {"type": "integer", "minimum": 1}


@pytest.mark.parametrize(
    ("path", "name"),
    [("results/", "state"), ("ledger/transactions/", "date_from")],
)
def test_an_empty_filter_is_refused_not_read_as_no_filter(demo, path, name):
    response = api_as("manager").get(f"/api/programmes/{demo.pk}/{path}", {name: ""})

    assert name in errors_of(response)


def test_json_request_bodies_are_documented_as_json_only():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    update = paths["/api/programmes/{programme_id}/update/"]["patch"]["requestBody"]
    upload = paths["/api/programmes/{programme_id}/results/import/"]["post"]["requestBody"]

    # A form's empty field reads as "not given" (DRF's HTML-form rule): `start_date=` was
    # answered 200 with nothing changed, where JSON's "" is refused.
    assert list(update["content"]) == ["application/json"]
    assert list(upload["content"]) == ["multipart/form-data"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/programmes/{programme_id}/reports/{report_id}/download/",
        "/api/programmes/{programme_id}/notices/{notice_id}/download/",
        "/api/programmes/{programme_id}/results/{result_id}/evidence/{evidence_id}/",
    ],
)
def test_a_download_documents_its_409(path):
    # Found by the stateful run: a report downloaded while still queued answers 409
    # (report_not_ready), which the schema did not list for a GET.
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    responses = paths[path]["get"]["responses"]
    assert "409" in responses
    assert "application/problem+json" in responses["409"]["content"]


@pytest.mark.parametrize("path", ["results/import/", "results/import/queued/"])
@pytest.mark.parametrize("name", ["stage", "decimal_comma", "over_planned_size"])
def test_an_import_refuses_an_empty_form_field_not_reading_it_as_the_default(demo, path, name):
    upload = SimpleUploadedFile("results.csv", b"metric,cohort,period,value\n")

    # Multipart is the only format here, so DRF's form rule (empty = not given) turned
    # `stage=` into an interim import, answered 202.
    response = api_as("evaluator").post(
        f"/api/programmes/{demo.pk}/{path}", {"file": upload, name: ""}, format="multipart"
    )

    assert name in errors_of(response)
