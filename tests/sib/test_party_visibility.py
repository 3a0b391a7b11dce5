"""Who may learn who the investors are: the API and the portal apply one rule."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from sib import services
from sib.models import Organisation, User
from tests.cast import ROLES, Cast, make_programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> Cast:
    manager = User.objects.create_user("parties-fund_manager")
    own = make_programme("parties", manager, activate=False)
    other = Organisation.objects.create(name="Other Bank", slug="other-bank", kinds=["investor"])
    services.programme_party_add(programme=own, organisation=other, role="investor")
    cast = Cast(own=own, foreign=own)
    cast.users["fund_manager"] = manager
    cast.investor_org = Organisation.objects.get(slug="parties-investor")
    cast.payer_org = Organisation.objects.get(slug="parties-payer")
    for role in ROLES[1:]:
        user = User.objects.create_user(f"parties-{role}")
        organisation = {"investor": cast.investor_org, "public_funder": cast.payer_org}.get(role)
        services.membership_add(programme=own, user=user, role=role, organisation=organisation)
        cast.users[role] = user
    return cast


def _api_names(user, programme) -> set[str]:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/programmes/{programme.pk}/parties/")
    assert response.status_code == 200
    return {row["organisation_name"] for row in response.json()}


@pytest.mark.parametrize("role", ["investor", "public_funder", "evaluator", "lead_evaluator"])
def test_only_those_who_see_every_position_learn_who_the_investors_are(cast, role):
    names = _api_names(cast.users[role], cast.own)
    assert "Other Bank" not in names and cast.investor_org.name not in names
    assert cast.payer_org.name in names
    client = Client()
    client.force_login(cast.users[role])
    html = client.get(reverse("portal:programme-home", args=[cast.own.pk])).content.decode()
    assert "Other Bank" not in html


def test_the_fund_manager_sees_every_investor(cast):
    names = _api_names(cast.users["fund_manager"], cast.own)
    assert {"Other Bank", cast.investor_org.name, cast.payer_org.name} <= names
