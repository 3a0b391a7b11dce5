"""The staff administration site (issue 14, part 2): people, organisations, programmes and
roles are there, and it goes through the same services as the portal and the API.

Reproduces the hole: the admin registered only payments, reports and axes models, so
`/admin/sib/programme/` was 404 although the portal sends staff there to set programmes up.
"""

import pytest
from django.test import Client
from django.utils import translation

from sib.chain_verification import chain_verify
from sib.models import Membership, Organisation, RoleChange, User
from tests.cast import Cast, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> Cast:
    return make_cast("adm")


@pytest.fixture
def staff_client(cast: Cast) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert cast.staff is not None
    cast.staff.is_superuser = True  # the admin's model permissions
    cast.staff.save(update_fields=["is_superuser"])
    client.force_login(cast.staff)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/sib/user/",
        "/admin/sib/organisation/",
        "/admin/sib/programme/",
        "/admin/sib/membership/",
    ],
)
def test_staff_find_people_organisations_programmes_and_roles(staff_client: Client, path: str):
    assert staff_client.get(path).status_code == 200


def test_a_programme_is_read_only_in_the_admin(staff_client: Client, cast: Cast):
    # Its terms change by the contract-change path, never by a form.
    page = staff_client.get(f"/admin/sib/programme/{cast.own.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert staff_client.get("/admin/sib/programme/add/").status_code == 403


def test_a_user_is_deactivated_never_deleted(staff_client: Client, cast: Cast):
    member = cast.users["evaluator"]
    assert staff_client.get(f"/admin/sib/user/{member.pk}/delete/").status_code == 403
    page = staff_client.get(f"/admin/sib/user/{member.pk}/change/")
    assert b'name="is_active"' in page.content


def test_staff_set_a_password_for_someone(staff_client: Client, cast: Cast):
    member = cast.users["evaluator"]
    answer = staff_client.post(
        f"/admin/sib/user/{member.pk}/password/",
        {"password1": "a-new-long-passphrase-2031", "password2": "a-new-long-passphrase-2031"},
    )
    assert answer.status_code == 302
    member.refresh_from_db()
    assert member.check_password("a-new-long-passphrase-2031")


def test_an_organisation_is_created_through_the_service(staff_client: Client):
    answer = staff_client.post(
        "/admin/sib/organisation/add/",
        {"name": "Fondation Horizon", "slug": "fondation-horizon", "kinds": "investor"},
    )
    assert answer.status_code == 302, answer.content
    organisation = Organisation.objects.get(slug="fondation-horizon")
    assert organisation.kinds == ["investor"]


def test_a_role_granted_in_the_admin_is_chained(staff_client: Client, cast: Cast):
    newcomer = User.objects.create_user("adm-newcomer", password="x")
    answer = staff_client.post(
        "/admin/sib/membership/add/",
        {"user": newcomer.pk, "programme": cast.own.pk, "role": "evaluator", "organisation": ""},
    )
    assert answer.status_code == 302, answer.content
    membership = Membership.objects.get(user=newcomer, programme=cast.own)
    assert RoleChange.objects.filter(user=newcomer, programme=cast.own, change="grant").exists()
    assert chain_verify(programme_id=cast.own.pk).ok
    assert membership.role == "evaluator"


def test_the_admin_cannot_break_the_separation_of_duties(staff_client: Client, cast: Cast):
    manager = cast.users["fund_manager"]
    with translation.override("en"):
        answer = staff_client.post(
            "/admin/sib/membership/add/",
            {"user": manager.pk, "programme": cast.own.pk, "role": "evaluator"},
            follow=True,
        )
    assert not Membership.objects.filter(
        user=manager, programme=cast.own, role="evaluator"
    ).exists()
    assert b"separation of duties" in answer.content.lower()


def test_a_role_is_revoked_by_the_action_and_chained(staff_client: Client, cast: Cast):
    membership = Membership.objects.get(user=cast.users["evaluator"], programme=cast.own)
    answer = staff_client.post(
        "/admin/sib/membership/",
        {"action": "revoke", "_selected_action": [membership.pk]},
    )
    assert answer.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert RoleChange.objects.filter(
        user=cast.users["evaluator"], programme=cast.own, change="revoke"
    ).exists()
    assert chain_verify(programme_id=cast.own.pk).ok
