"""Invitations by e-mail (issue 14, part 2): whoever may grant a role invites a newcomer
into it; the newcomer chooses a password from the e-mailed link; nothing else changes.
"""

import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation

from sib.chain_verification import chain_verify
from sib.models import Membership, RoleChange, User
from tests.cast import Cast, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> Cast:
    return make_cast("inv")


def _client(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _invite(client: Client, cast: Cast, **fields: str):  # type: ignore[no-untyped-def]
    body = {"username": "newcomer", "email": "newcomer@example.org", "role": "investor"}
    body.update(fields)
    return client.post(f"/programmes/{cast.own.pk}/members/invite/", body)


def test_a_fund_manager_invites_an_investor_who_then_chooses_a_password(
    cast: Cast, django_capture_on_commit_callbacks
):
    assert cast.investor_org is not None
    # The e-mail leaves once the grant has committed.
    with django_capture_on_commit_callbacks(execute=True):
        answer = _invite(
            _client(cast.users["fund_manager"]), cast, organisation=cast.investor_org.slug
        )
    assert answer.status_code == 302, answer.content
    newcomer = User.objects.get(username="newcomer")
    assert not newcomer.has_usable_password()
    membership = Membership.objects.get(user=newcomer, programme=cast.own)
    assert (membership.role, membership.organisation) == ("investor", cast.investor_org)
    assert RoleChange.objects.filter(user=newcomer, change="grant").exists()
    assert chain_verify(programme_id=cast.own.pk).ok

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["newcomer@example.org"]
    assert cast.own.name in mail.outbox[0].subject
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en")
    form = visitor.get(link.group(1), follow=True)
    visitor.post(
        form.redirect_chain[-1][0],
        {"new_password1": "chosen-pass-2031-x", "new_password2": "chosen-pass-2031-x"},
    )
    newcomer.refresh_from_db()
    assert newcomer.check_password("chosen-pass-2031-x")


def test_only_the_roles_one_may_grant_are_offered_and_accepted(cast: Cast):
    client = _client(cast.users["fund_manager"])
    page = client.get(f"/programmes/{cast.own.pk}/members/invite/")
    assert b'value="investor"' in page.content
    assert b'value="evaluator"' not in page.content
    # Posted anyway: refused, and nobody is created.
    answer = _invite(client, cast, role="evaluator")
    assert answer.status_code == 200
    assert not User.objects.filter(username="newcomer").exists()
    assert mail.outbox == []


def test_a_taken_login_or_address_is_refused_with_nothing_written(cast: Cast):
    client = _client(cast.users["fund_manager"])
    taken = cast.users["evaluator"]
    taken.email = "taken@example.org"
    taken.save(update_fields=["email"])
    with translation.override("en"):
        by_login = _invite(client, cast, username=taken.username)
        by_address = _invite(client, cast, email="TAKEN@example.org")
    assert b"This login is taken" in by_login.content
    assert b"This address already has an account" in by_address.content
    assert not User.objects.filter(username="newcomer").exists()
    assert mail.outbox == []


def test_an_evaluator_cannot_open_the_invitation_page(cast: Cast):
    answer = _client(cast.users["evaluator"]).get(f"/programmes/{cast.own.pk}/members/invite/")
    assert answer.status_code == 403


def test_a_lead_evaluator_invites_into_their_own_organisation(cast: Cast):
    lead = cast.users["lead_evaluator"]
    own = Membership.objects.get(user=lead, programme=cast.own, role="lead_evaluator")
    answer = _invite(_client(lead), cast, role="evaluator")
    assert answer.status_code == 302, answer.content
    invited = Membership.objects.get(user__username="newcomer", programme=cast.own)
    assert (invited.role, invited.organisation) == ("evaluator", own.organisation)


def test_the_page_is_french_for_a_french_reader(cast: Cast):
    page = _client(cast.users["fund_manager"], "fr").get(
        f"/programmes/{cast.own.pk}/members/invite/"
    )
    assert "Inviter quelqu’un" in page.content.decode()
    assert "Adresse électronique" in page.content.decode()
