"""A user who opens their own deal names nobody to check it (issue 12, separation of duties).

The hole a hostile test found: a fund manager given the right to open programmes
(`sib.add_programme`, not staff) uploaded a definition whose `memberships` made any user
of the system lead evaluator or public funder of the new programme, and whose
`history.results` brought in results "verified" by those people — outcome payments due
that no evaluator ever verified. The `no user 'x'` error told which logins exist. The
portal is the API's twin: a fund manager may not grant checking roles there either.
"""

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from outcomes.models import Result
from sib.demo import demo_definition
from sib.models import Membership, Programme, User

pytestmark = pytest.mark.django_db

NEW = reverse("portal:programme-new")


def _upload(document: dict) -> SimpleUploadedFile:  # type: ignore[type-arg]
    return SimpleUploadedFile("deal.json", json.dumps(document).encode(), "application/json")


@pytest.fixture
def people() -> None:
    """The demo's evaluator and lead: real users of the system, on no programme yet."""
    User.objects.create_user("evaluator")
    User.objects.create_user("lead")


@pytest.fixture
def opener() -> Client:
    user = User.objects.create_user("opener")
    user.user_permissions.add(Permission.objects.get(codename="add_programme"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _refusals(response) -> str:  # type: ignore[no-untyped-def]
    """Return the listed errors of the form shown again (nothing written)."""
    assert response.status_code == 200
    page = " ".join(response.content.decode().split())
    start = page.index('id="definition-errors"')
    return page[start : page.index("</table>", start)]


def test_an_opener_cannot_name_the_evaluators_of_their_own_deal(people, opener):
    response = opener.post(NEW, {"definition": _upload(demo_definition())})
    page = _refusals(response)
    assert "memberships" in page and "Only a staff administrator" in page
    assert not Programme.objects.exists()
    assert not Membership.objects.filter(user__username__in=["lead", "evaluator"]).exists()


def test_an_opener_cannot_bring_in_results_verified_by_people_they_chose(people, opener):
    document = demo_definition()
    document.pop("memberships")
    page = _refusals(opener.post(NEW, {"definition": _upload(document)}))
    assert "history.results" in page and "Only a staff administrator" in page
    assert not Result.objects.exists()


def test_an_opener_learns_nothing_about_which_logins_exist(people, opener):
    answers = []
    for username in ("lead", "nobody-at-all"):
        document = demo_definition()
        document.pop("history")
        document["memberships"] = [{"user": username, "role": "lead_evaluator"}]
        page = _refusals(opener.post(NEW, {"definition": _upload(document)}))
        answers.append(page.replace(username, "<name>"))
    assert answers[0] == answers[1]
    assert "no user" not in answers[0]


def test_staff_load_a_running_deal_with_its_people_and_history(people):
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(User.objects.create_user("admin", is_staff=True))
    response = staff.post(NEW, {"definition": _upload(demo_definition()), "manager": "admin"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    programme = Programme.objects.get()
    assert set(
        Membership.objects.filter(programme=programme).values_list("user__username", "role")
    ) >= {("lead", "lead_evaluator"), ("evaluator", "evaluator")}
    assert Result.objects.filter(programme=programme).count() == 2
