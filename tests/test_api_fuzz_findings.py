"""What the schemathesis run (tests/test_api_fuzz.py) found, each kept as its own test."""

import pytest
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
