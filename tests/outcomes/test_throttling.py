"""Costly operations are throttled per user and scope (issue 17, part 3)."""

import pytest
from django.core.cache import cache

from tests.outcomes.test_csv_import import GOOD, HEADER, upload

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def _rates(settings, **rates: str) -> None:
    settings.SIB_THROTTLE_RATES = {**settings.SIB_THROTTLE_RATES, **rates}


def test_imports_beyond_the_rate_are_a_429_problem_with_retry_after(cast, settings):
    _rates(settings, imports="1/hour")
    assert upload(cast, HEADER + GOOD).status_code == 201
    response = upload(cast, HEADER + GOOD.replace("P-001", "P-002"))
    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert int(response["Retry-After"]) > 0


def test_the_rate_is_per_user(cast, settings):
    from sib.models import Membership

    _rates(settings, imports="1/hour")
    Membership.objects.create(user=cast.lead2, programme=cast.programme, role="evaluator")
    assert upload(cast, HEADER + GOOD).status_code == 201
    other = upload(cast, HEADER + GOOD.replace("P-001", "P-002"), user=cast.lead2)
    assert other.status_code == 201


@pytest.mark.parametrize(
    ("scope", "user", "method", "tail"),
    [
        ("reports", "manager", "post", "reports/request/"),
        ("scenarios", "manager", "get", "schedule/scenarios/50/"),
        ("verify", "lead", "post", "results/1/verify/"),
        ("imports", "evaluator", "post", "results/import/"),
    ],
)
def test_each_costly_scope_is_throttled(cast, settings, scope, user, method, tail):
    _rates(settings, **{scope: "0/hour"})
    client = cast.client(getattr(cast, user))
    response = getattr(client, method)(f"/api/programmes/{cast.programme.pk}/{tail}")
    assert response.status_code == 429


def test_other_operations_are_not_throttled(cast, settings):
    _rates(settings, reports="0/hour", imports="0/hour", scenarios="0/hour", verify="0/hour")
    response = cast.client(cast.evaluator).get(f"/api/programmes/{cast.programme.pk}/results/")
    assert response.status_code == 200
