"""Setting a programme up in the portal: load its definition, review it, activate it.

The portal takes a definition as `programme_load` does: one reader, one loader, every
error listed at its JSON path and nothing written unless the whole document is right.
Who may open a programme is the API's rule (staff, or users allowed to open programmes).
"""

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sib.demo import demo_definition
from sib.models import Membership, Organisation, Programme, ProgrammeStatus, Role, User
from sib.programme_format import programme_definition_dump

pytestmark = pytest.mark.django_db

NEW = reverse("portal:programme-new")


def draft_definition() -> dict:
    """The demo contract as a draft: no people and no history yet."""
    document = demo_definition()
    document["programme"]["status"] = "draft"
    document.pop("memberships")
    document.pop("history")
    return document


def upload(document: object, name: str = "deal.json") -> SimpleUploadedFile:
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    return SimpleUploadedFile(name, raw, content_type="application/json")


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(User.objects.create_user("admin", is_staff=True))
    return client


def test_staff_opens_a_draft_programme_from_its_definition(staff):
    response = staff.post(NEW, {"definition": upload(draft_definition())})
    programme = Programme.objects.get(slug="jardins-solidaires")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:programme-home", args=[programme.pk])
    assert programme.status == ProgrammeStatus.DRAFT
    assert Membership.objects.filter(
        programme=programme, user__username="admin", role=Role.FUND_MANAGER
    ).exists()
    home = staff.get(response["Location"])
    assert "Jardins solidaires, Marseille" in home.content.decode()
    assert "est chargé" in home.content.decode()  # the confirmation, in French


def test_staff_may_name_the_first_fund_manager(staff):
    User.objects.create_user("claire")
    staff.post(NEW, {"definition": upload(draft_definition()), "manager": "claire"})
    programme = Programme.objects.get(slug="jardins-solidaires")
    managers = Membership.objects.filter(programme=programme, role=Role.FUND_MANAGER)
    assert [m.user.username for m in managers] == ["claire"]


def test_an_unknown_first_manager_is_named_and_nothing_is_written(staff):
    response = staff.post(NEW, {"definition": upload(draft_definition()), "manager": "nobody"})
    assert "Aucun utilisateur actif" in response.content.decode()
    assert not Programme.objects.exists()


def test_every_error_is_listed_at_its_path_and_nothing_is_written(staff):
    document = draft_definition()
    document["programme"]["contract_cap"] = 2**70
    document["organisations"][0]["name"] = "Etat\u0000"
    organisations = Organisation.objects.count()
    response = staff.post(NEW, {"definition": upload(document)})
    page = response.content.decode()
    assert "<code>programme.contract_cap</code>" in page
    assert "<code>organisations[0].name</code>" in page
    assert "2 erreurs" in page
    assert not Programme.objects.exists()
    assert Organisation.objects.count() == organisations


def test_a_file_that_is_not_json_is_refused_with_its_line(staff):
    response = staff.post(NEW, {"definition": upload(b'{"format": "sib-programme",\n  oops}')})
    page = response.content.decode()
    assert "pas du JSON" in page and "ligne 2" in page
    assert not Programme.objects.exists()


def test_a_file_nested_too_deep_is_refused_before_it_is_parsed(staff):
    response = staff.post(NEW, {"definition": upload(b"[" * 100_000 + b"]" * 100_000)})
    assert "niveaux" in response.content.decode()


def test_a_definition_over_the_import_limit_is_refused_unread(staff, settings):
    settings.SIB_MAX_IMPORT_BYTES = 1000
    response = staff.post(NEW, {"definition": upload(draft_definition())})
    assert response.status_code == 413
    assert not Programme.objects.exists()


def test_a_fund_manager_may_not_open_programmes_by_default():
    client = Client()
    client.force_login(User.objects.create_user("manager"))
    assert client.post(NEW, {"definition": upload(draft_definition())}).status_code == 403
    listing = client.get(reverse("portal:programme-list")).content.decode()
    assert reverse("portal:programme-new") not in listing
    assert not Programme.objects.exists()


def test_a_user_allowed_to_open_programmes_becomes_their_manager_and_names_no_one():
    user = User.objects.create_user("opener")
    user.user_permissions.add(Permission.objects.get(codename="add_programme"))
    client = Client()
    client.force_login(user)
    form = client.get(NEW)
    assert form.status_code == 200
    assert 'name="manager"' not in form.content.decode()
    client.post(NEW, {"definition": upload(draft_definition()), "manager": "admin"})
    programme = Programme.objects.get(slug="jardins-solidaires")
    managers = Membership.objects.filter(programme=programme, role=Role.FUND_MANAGER)
    assert [m.user.username for m in managers] == ["opener"]


def _loaded(staff: Client, document: dict) -> Programme:
    staff.post(NEW, {"definition": upload(document)})
    return Programme.objects.get(slug=document["programme"]["slug"])


def test_the_manager_downloads_the_definition_programme_dump_prints(staff):
    programme = _loaded(staff, draft_definition())
    response = staff.get(reverse("portal:programme-definition", args=[programme.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert 'filename="jardins-solidaires.json"' in response["Content-Disposition"]
    assert json.loads(response.content) == json.loads(
        json.dumps(programme_definition_dump(programme))
    )


def test_the_downloaded_definition_loads_again_as_the_same_contract(staff):
    programme = _loaded(staff, draft_definition())
    downloaded = json.loads(
        staff.get(reverse("portal:programme-definition", args=[programme.pk])).content
    )
    downloaded["programme"]["slug"] = "jardins-solidaires-bis"
    copy = _loaded(staff, downloaded)
    again = programme_definition_dump(copy)
    again["programme"]["slug"] = "jardins-solidaires"
    original = programme_definition_dump(programme)
    assert json.loads(json.dumps(again)) == json.loads(json.dumps(original))


def test_a_draft_is_reviewed_then_activated_after_confirmation(staff):
    programme = _loaded(staff, draft_definition())
    url = reverse("portal:programme-activation", args=[programme.pk])
    home = staff.get(reverse("portal:programme-home", args=[programme.pk])).content.decode()
    assert url in home
    review = staff.get(url).content.decode()
    assert 'id="share-total">100 %' in review
    assert "Activer le programme" in review
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.DRAFT  # a GET changes nothing
    response = staff.post(url)
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.ACTIVE
    home = staff.get(reverse("portal:programme-home", args=[programme.pk])).content.decode()
    assert url not in home


def test_a_draft_whose_shares_do_not_add_up_is_not_activated(staff):
    document = draft_definition()
    document["parties"][1]["payer_share"] = "20"
    programme = _loaded(staff, document)
    url = reverse("portal:programme-activation", args=[programme.pk])
    review = staff.get(url).content.decode()
    assert "90 %" in review and "exactement 100" in review
    response = staff.post(url)
    assert "actuellement 90" in response.content.decode()  # the service's refusal
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.DRAFT


def test_an_active_programme_offers_no_activation(staff):
    document = draft_definition()
    document["programme"]["status"] = "active"
    programme = _loaded(staff, document)
    page = staff.get(reverse("portal:programme-activation", args=[programme.pk])).content.decode()
    assert "Activer le programme" not in page
    refused = staff.post(reverse("portal:programme-activation", args=[programme.pk]))
    assert "Activer le programme" not in refused.content.decode()
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.ACTIVE
