"""The portal page recording a joint payment: a part per payer, refused beside the payer's
field when above what it owes, recorded once per form."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from payments.models import JointPayment
from payments.position import programme_position
from sib.demo import demo_definition
from sib.models import Organisation, User
from sib.programme_format import programme_definition_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    root = User.objects.create_superuser("root", password="pw-123456789")
    return programme_definition_load(demo_definition(), creator=root)


def _client(language: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username="root"))
    client.cookies["django_language"] = language
    return client


def _post(programme, language="en", **parts):  # type: ignore[no-untyped-def]
    body = {
        "paid_by": Organisation.objects.get(slug="etat").pk,
        "received_on": "2026-12-01",
        "idempotency_key": "k-" + str(uuid.uuid4()),
        **{f"part_{slug.replace('_', '-')}": amount for slug, amount in parts.items()},
    }
    url = reverse("payments_portal:joint-payment-record", args=[programme.pk])
    return _client(language).post(url, body), body


def test_the_page_is_linked_from_the_payment_page_and_speaks_french(programme):
    client = _client("fr")
    page = client.get(reverse("payments_portal:payment-record", args=[programme.pk]))
    assert "data-joint" in page.content.decode()
    joint = client.get(reverse("payments_portal:joint-payment-record", args=[programme.pk]))
    html = joint.content.decode()
    assert "Enregistrer un paiement conjoint" in html
    assert "Part soldant les sommes dues par Département des Bouches-du-Rhône (EUR)" in html


def test_the_state_pays_its_part_and_the_countys_in_one_payment(programme):
    """37 800 € for the State's own dues and 31 080 € for the département's: both owe 0."""
    response, _ = _post(programme, etat="37800", departement_13="31080")
    assert response.status_code == 302
    position = programme_position(programme=programme)
    assert (position.payer("etat").payable, position.payer("departement-13").payable) == (0, 0)
    assert position.payer("departement-13").settled_by == (("etat", 3_108_000),)


def test_a_part_above_what_the_payer_owes_is_shown_beside_its_field_and_nothing_is_recorded(
    programme,
):
    response, _ = _post(programme, language="fr", etat="100", departement_13="31080,01")
    html = response.content.decode()
    assert response.status_code == 200
    assert "sa part, 31 080,01" in html.replace("\u202f", " ").replace("\xa0", " ")
    assert not JointPayment.objects.exists()


def test_the_same_form_posted_twice_records_once(programme):
    first, body = _post(programme, etat="100", departement_13="200")
    again = _client("en").post(
        reverse("payments_portal:joint-payment-record", args=[programme.pk]), body
    )
    assert (first.status_code, again.status_code) == (302, 302)
    assert JointPayment.objects.count() == 1
