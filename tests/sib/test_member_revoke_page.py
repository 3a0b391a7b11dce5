"""Taking a role back from the portal (issue 14, part 2): the members page offers "Revoke"
where the viewer's roles grant that role, a confirmation names who and what, and only the
confirmed post revokes. The revocation is chained; the person keeps their account.
"""

import pytest
from django.test import Client

from sib.chain_verification import chain_verify
from sib.models import Membership, RoleChange, User
from tests.cast import Cast, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> Cast:
    return make_cast("rev")


def _client(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _membership(cast: Cast, role: str) -> Membership:
    return Membership.objects.get(programme=cast.own, role=role)


def _url(cast: Cast, membership: Membership) -> str:
    return f"/programmes/{cast.own.pk}/members/{membership.pk}/revoke/"


def test_the_members_page_offers_revoke_only_for_roles_the_manager_grants(cast: Cast):
    html = _client(cast.users["fund_manager"]).get(f"/programmes/{cast.own.pk}/members/")
    text = html.content.decode()
    investor = _membership(cast, "investor")
    assert f'data-revoke="{investor.pk}"' in text
    # A fund manager neither grants nor revokes an evaluator's role, nor their own.
    assert f'data-revoke="{_membership(cast, "evaluator").pk}"' not in text
    assert f'data-revoke="{_membership(cast, "fund_manager").pk}"' not in text


def test_a_confirmed_revocation_takes_the_role_back_and_chains_it(cast: Cast):
    investor = _membership(cast, "investor")
    manager = _client(cast.users["fund_manager"], "fr")
    review = manager.post(_url(cast, investor))
    assert review.status_code == 200
    assert "Retirer le rôle" in review.content.decode()
    assert Membership.objects.filter(pk=investor.pk).exists()  # nothing yet

    done = manager.post(_url(cast, investor), {"confirm": "1"})
    assert done.status_code == 302
    assert not Membership.objects.filter(pk=investor.pk).exists()
    assert RoleChange.objects.filter(programme=cast.own, change="revoke").count() == 1
    assert chain_verify(programme_id=cast.own.pk).ok
    assert User.objects.get(pk=cast.users["investor"].pk).is_active  # the account stays
    follow = manager.get(done["Location"]).content.decode()
    assert f"{cast.users['investor'].username} n’a plus le rôle" in follow


def test_a_manager_cannot_revoke_an_evaluators_role_even_by_posting(cast: Cast):
    evaluator = _membership(cast, "evaluator")
    manager = _client(cast.users["fund_manager"])
    answer = manager.post(_url(cast, evaluator), {"confirm": "1"})
    assert answer.status_code == 302
    assert Membership.objects.filter(pk=evaluator.pk).exists()
    said = manager.get(answer["Location"]).content.decode()
    assert "does not let you grant the role of" in said


def test_a_lead_evaluator_revokes_an_evaluator_of_their_own_organisation(cast: Cast):
    evaluator = _membership(cast, "evaluator")
    answer = _client(cast.users["lead_evaluator"]).post(_url(cast, evaluator), {"confirm": "1"})
    assert answer.status_code == 302
    assert not Membership.objects.filter(pk=evaluator.pk).exists()


def test_the_revoke_page_is_a_form_target_and_foreign_memberships_are_not_found(cast: Cast):
    investor = _membership(cast, "investor")
    manager = _client(cast.users["fund_manager"])
    assert manager.get(_url(cast, investor)).status_code == 405
    foreign = Membership.objects.filter(programme=cast.foreign).first()
    assert foreign is not None
    assert manager.post(_url(cast, foreign)).status_code == 404
    assert _client(cast.users["investor"]).post(_url(cast, investor)).status_code == 403
