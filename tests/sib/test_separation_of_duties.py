"""Separation of duties and who grants which role (issue 12, part 1).

Reproduces the holes first: a fund manager gave themselves lead evaluator (then verified
results), evaluator or public funder through the API; could bind any user or organisation
in the system to their programme; and the "does not exist" answer told which usernames
exist.
"""

from decimal import Decimal

import pghistory.models
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation
from rest_framework.test import APIClient

from sib import services
from sib.chain_verification import chain_verify
from sib.models import ChainEntry, Membership, Organisation, Programme, RoleChange, User
from sib.permissions import Action
from sib.role_changes import CHAIN_KIND
from sib.scoping import programme_access
from tests.cast import Cast, make_cast, make_programme
from tests.owner import as_owner_bypassing_triggers

pytestmark = pytest.mark.django_db

CONFLICTS = [
    ("fund_manager", "evaluator"),
    ("fund_manager", "lead_evaluator"),
    ("fund_manager", "public_funder"),
    ("evaluator", "public_funder"),
    ("lead_evaluator", "public_funder"),
]
COMPATIBLE = [("evaluator", "lead_evaluator"), ("fund_manager", "investor")]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def cast() -> Cast:
    return make_cast("sod")


def _client(user: User) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def _grant(cast: Cast, who: User, body: dict[str, str]):  # type: ignore[no-untyped-def]
    return _client(who).post(
        f"/api/programmes/{cast.own.pk}/memberships/create/", body, format="json"
    )


# --- The holes, reproduced ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["lead_evaluator", "evaluator", "public_funder"])
def test_a_fund_manager_cannot_give_themselves_a_checking_role(cast, role):
    manager = cast.users["fund_manager"]
    response = _grant(cast, manager, {"username": manager.username, "role": role})
    assert response.status_code == 403
    assert not Membership.objects.filter(user=manager, programme=cast.own, role=role).exists()
    access = programme_access(user=manager, programme_id=cast.own.pk)
    assert not access.allows(Action.RESULT_VERIFY) and not access.allows(Action.RESULT_ACCEPT)


@pytest.mark.parametrize("role", ["lead_evaluator", "evaluator", "public_funder"])
def test_not_even_staff_can_make_a_fund_manager_a_checker(cast, role):
    manager = cast.users["fund_manager"]
    response = _grant(cast, cast.staff, {"username": manager.username, "role": role})
    assert response.status_code == 400
    assert "Separation of duties" in str(response.json()["errors"])
    assert not Membership.objects.filter(user=manager, programme=cast.own, role=role).exists()


def test_a_fund_manager_cannot_bind_a_user_they_do_not_manage(cast):
    response = _grant(
        cast, cast.users["fund_manager"], {"username": "sod-stranger", "role": "fund_manager"}
    )
    assert response.status_code == 400
    assert not Membership.objects.filter(user=cast.stranger, programme=cast.own).exists()


def test_the_answer_is_the_same_for_a_user_that_does_not_exist_and_one_out_of_reach(cast):
    manager = cast.users["fund_manager"]
    answers = []
    for username in ("sod-stranger", "sod-nobody-at-all"):
        response = _grant(
            cast,
            manager,
            {"username": username, "role": "investor", "organisation": "sod-own-investor"},
        )
        assert response.status_code == 400
        body = response.json()
        body.pop("request_id", None)
        body.pop("instance", None)
        answers.append(str(body).replace(username, "<name>"))
    assert answers[0] == answers[1]
    assert "No user <name> that you may add to this programme." in answers[0]


def test_a_fund_manager_cannot_bind_an_organisation_that_is_not_a_party(cast):
    other = Organisation.objects.create(name="Elsewhere", slug="sod-elsewhere", kinds=["investor"])
    manager = cast.users["fund_manager"]
    response = _grant(
        cast, manager, {"username": "sod-investor", "role": "investor", "organisation": other.slug}
    )
    assert response.status_code == 400
    assert "among this programme's parties" in str(response.json())


def test_a_fund_manager_cannot_appoint_an_organisation_but_staff_can(cast):
    Organisation.objects.create(name="New payer", slug="sod-new-payer", kinds=["outcome_payer"])
    draft = make_programme("sod-draft", cast.users["fund_manager"], activate=False)
    body = {"organisation": "sod-new-payer", "role": "service_provider"}
    Organisation.objects.filter(slug="sod-new-payer").update(kinds=["service_provider"])
    url = f"/api/programmes/{draft.pk}/parties/create/"
    assert _client(cast.users["fund_manager"]).post(url, body, format="json").status_code == 403
    assert _client(cast.staff).post(url, body, format="json").status_code == 201


# --- The database: a constraint, written through the application role ---------------------


@pytest.mark.parametrize("first, second", CONFLICTS + [(b, a) for a, b in CONFLICTS])
def test_the_database_refuses_conflicting_roles_written_through_the_app_role(cast, first, second):
    user = User.objects.create_user("sod-both")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == connection.settings_dict["APP_ROLE"]
    organisation = cast.investor_org if "investor" in (first, second) else None
    Membership.objects.create(user=user, programme=cast.own, role=first, organisation=organisation)
    with pytest.raises(IntegrityError, match="separation of duties"), transaction.atomic():
        Membership.objects.create(user=user, programme=cast.own, role=second)
    refused = pytest.raises(IntegrityError, match="separation of duties")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sib_membership (user_id, programme_id, role, created_at) "
            "VALUES (%s, %s, %s, now())",
            [user.pk, cast.own.pk, second],
        )
    assert list(Membership.objects.filter(user=user).values_list("role", flat=True)) == [first]


def test_the_database_refuses_turning_a_role_into_a_conflicting_one(cast):
    manager = cast.users["fund_manager"]
    investor = Membership.objects.create(
        user=manager, programme=cast.own, role="investor", organisation=cast.investor_org
    )
    with pytest.raises(IntegrityError, match="separation of duties"), transaction.atomic():
        Membership.objects.filter(pk=investor.pk).update(role="lead_evaluator", organisation=None)


@pytest.mark.parametrize("first, second", COMPATIBLE)
def test_compatible_roles_may_be_held_together(cast, first, second):
    user = User.objects.create_user("sod-two-hats")
    for role in (first, second):
        organisation = cast.investor_org if role == "investor" else None
        services.membership_add(programme=cast.own, user=user, role=role, organisation=organisation)
    assert Membership.objects.filter(user=user, programme=cast.own).count() == 2


def test_a_role_on_another_programme_does_not_conflict(cast):
    evaluator = cast.users["evaluator"]
    services.membership_add(programme=cast.foreign, user=evaluator, role="fund_manager")
    assert Membership.objects.filter(user=evaluator).count() == 2


def test_the_service_refusal_is_translated(cast):
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        services.membership_add(
            programme=cast.own, user=cast.users["evaluator"], role="public_funder"
        )
    assert "Séparation des tâches" in refused.value.message_dict["role"][0]


# --- Each organisation manages its own people ---------------------------------------------


@pytest.fixture
def bond() -> dict[str, object]:
    """An active programme with an evaluator organisation, a lead evaluator of it, and people
    known from another programme that lead evaluator and its funder also work on."""
    staff = User.objects.create_user("bond-staff", is_staff=True)
    manager = User.objects.create_user("bond-manager")
    evaluator_org = Organisation.objects.create(name="Eval", slug="bond-eval", kinds=["evaluator"])
    payer = Organisation.objects.create(name="State", slug="bond-state", kinds=["outcome_payer"])
    programmes = []
    for slug in ("bond-a", "bond-b"):
        programme = services.programme_create(
            creator=manager, name=slug, slug=slug, currency="EUR",
            start_date=__import__("datetime").date(2026, 1, 1),
            end_date=__import__("datetime").date(2030, 12, 31), contract_cap=1_000_000,
        )  # fmt: skip
        services.programme_party_add(
            programme=programme, organisation=evaluator_org, role="evaluator"
        )
        services.programme_party_add(
            programme=programme, organisation=payer, role="outcome_payer", payer_share=Decimal(100)
        )
        programmes.append(services.programme_activate(programme=programme))
    a, b = programmes
    people = {}
    for name, role, organisation in (
        ("lead", "lead_evaluator", evaluator_org),
        ("colleague", "evaluator", evaluator_org),
        ("funder", "public_funder", payer),
        ("funder-colleague", "public_funder", payer),
    ):
        people[name] = User.objects.create_user(f"bond-{name}")
        services.membership_add(
            programme=b, user=people[name], role=role, organisation=organisation, actor=staff
        )
    for name in ("lead", "funder"):
        membership = Membership.objects.get(user=people[name], programme=b)
        services.membership_add(
            programme=a, user=people[name], role=membership.role,
            organisation=membership.organisation, actor=staff,
        )  # fmt: skip
    return {
        "a": a,
        "b": b,
        "staff": staff,
        "manager": manager,
        "evaluator_org": evaluator_org,
        "payer": payer,
        **people,
    }


def _grant_on(programme: Programme, who: User, body: dict[str, str]):  # type: ignore[no-untyped-def]
    return _client(who).post(
        f"/api/programmes/{programme.pk}/memberships/create/", body, format="json"
    )


def test_a_lead_evaluator_adds_an_evaluator_of_their_own_organisation(bond):
    response = _grant_on(
        bond["a"], bond["lead"], {"username": "bond-colleague", "role": "evaluator"}
    )
    assert response.status_code == 201, response.content
    membership = Membership.objects.get(user=bond["colleague"], programme=bond["a"])
    assert membership.organisation == bond["evaluator_org"]


@pytest.mark.parametrize("role", ["fund_manager", "public_funder", "investor"])
def test_a_lead_evaluator_grants_no_other_organisations_roles(bond, role):
    response = _grant_on(bond["a"], bond["lead"], {"username": "bond-colleague", "role": role})
    assert response.status_code == 403


def test_a_funder_adds_a_funder_of_their_payer_and_nothing_else(bond):
    ok = _grant_on(
        bond["a"], bond["funder"], {"username": "bond-funder-colleague", "role": "public_funder"}
    )
    assert ok.status_code == 201, ok.content
    assert (
        Membership.objects.get(user=bond["funder-colleague"], programme=bond["a"]).organisation
        == bond["payer"]
    )
    refused = _grant_on(
        bond["a"], bond["funder"], {"username": "bond-colleague", "role": "evaluator"}
    )
    assert refused.status_code == 403


@pytest.mark.parametrize("role", ["evaluator", "lead_evaluator", "public_funder"])
def test_a_fund_manager_grants_no_evaluator_or_funder_role_to_anyone(bond, role):
    response = _grant_on(bond["a"], bond["manager"], {"username": "bond-colleague", "role": role})
    assert response.status_code == 403


def test_staff_grant_a_newcomer_their_first_role(bond):
    newcomer = User.objects.create_user("bond-newcomer")
    refused = _grant_on(bond["a"], bond["lead"], {"username": "bond-newcomer", "role": "evaluator"})
    assert refused.status_code == 400  # out of the lead evaluator's reach: staff first
    response = _grant_on(
        bond["a"],
        bond["staff"],
        {"username": "bond-newcomer", "role": "evaluator", "organisation": "bond-eval"},
    )
    assert response.status_code == 201, response.content
    assert (
        Membership.objects.get(user=newcomer, programme=bond["a"]).organisation
        == bond["evaluator_org"]
    )


# --- Every grant and revocation is chained and in the audit history -----------------------


def test_grants_and_revocations_are_chained_and_audited(bond):
    a = bond["a"]
    granted = _grant_on(a, bond["lead"], {"username": "bond-colleague", "role": "evaluator"})
    membership_id = granted.json()["id"]
    revoke_url = f"/api/programmes/{a.pk}/memberships/{membership_id}/revoke/"
    assert _client(bond["manager"]).post(revoke_url).status_code == 403  # not their people
    assert _client(bond["lead"]).post(revoke_url).status_code == 204
    assert not Membership.objects.filter(pk=membership_id).exists()
    changes = list(RoleChange.objects.filter(membership_id=membership_id).order_by("id"))
    assert [(c.change, c.role, c.actor) for c in changes] == [
        ("grant", "evaluator", bond["lead"]),
        ("revoke", "evaluator", bond["lead"]),
    ]
    chained = set(
        ChainEntry.objects.filter(programme=a, kind=CHAIN_KIND).values_list("object_id", flat=True)
    )
    assert {str(c.pk) for c in changes} <= chained
    result = chain_verify(programme_id=a.pk)
    assert result.ok, result.first_break
    records, entries = result.counts[CHAIN_KIND]
    assert records == entries == RoleChange.objects.filter(programme=a).count()
    for change in changes:
        event = pghistory.models.Events.objects.tracks(change).get()
        assert event.pgh_context["user"] == bond["lead"].pk
    labels = set(
        pghistory.models.Events.objects.filter(
            pgh_obj_model="sib.Membership", pgh_obj_id=str(membership_id)
        ).values_list("pgh_label", flat=True)
    )
    assert {"insert", "delete"} <= labels


def test_a_revocation_of_another_programmes_membership_is_not_found(bond):
    foreign = Membership.objects.get(user=bond["colleague"], programme=bond["b"])
    url = f"/api/programmes/{bond['a'].pk}/memberships/{foreign.pk}/revoke/"
    assert _client(bond["staff"]).post(url).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_a_role_change_without_its_chain_entry_cannot_commit(cast):
    with pytest.raises(IntegrityError, match="has no chain entry"), transaction.atomic():
        RoleChange.objects.create(
            programme=cast.own, user=cast.stranger, role="investor", change="grant", membership_id=0
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_changed_role_change_is_named_by_the_chain(cast):
    change = RoleChange.objects.filter(programme=cast.own, role="public_funder").get()
    as_owner_bypassing_triggers(
        "UPDATE sib_role_change SET role = 'investor' WHERE id = %s", [change.pk]
    )
    result = chain_verify(programme_id=cast.own.pk)
    assert not result.ok
    assert (result.first_break.kind, result.first_break.object_id) == (CHAIN_KIND, str(change.pk))


def test_a_lead_evaluator_grants_for_their_own_organisation_only(bond):
    body = {"username": "bond-colleague", "role": "evaluator", "organisation": "bond-state"}
    response = _grant_on(bond["a"], bond["lead"], body)
    assert response.status_code == 403
    assert not Membership.objects.filter(user=bond["colleague"], programme=bond["a"]).exists()


def test_a_funder_cannot_revoke_an_evaluator(bond):
    evaluator = Membership.objects.get(user=bond["colleague"], programme=bond["b"])
    url = f"/api/programmes/{bond['b'].pk}/memberships/{evaluator.pk}/revoke/"
    assert _client(bond["funder"]).post(url).status_code == 403
    assert _client(bond["staff"]).post(url).status_code == 204
    assert (
        RoleChange.objects.filter(membership_id=evaluator.pk, change="revoke").get().actor
        == (bond["staff"])
    )


def test_a_public_funder_is_bound_to_the_payer_it_speaks_for(cast):
    # A funder bound to no payer accepted or disputed for every payer at once (a dispute
    # of theirs held every payer's share): "a funder accepting for another payer".
    newcomer = User.objects.create_user("sod-unbound-funder")
    body = {"username": newcomer.username, "role": "public_funder"}
    refused = _grant(cast, cast.staff, body)
    assert refused.status_code == 400
    assert [e["field"] for e in refused.json()["errors"]] == ["organisation"]
    assert not Membership.objects.filter(user=newcomer).exists()
    granted = _grant(cast, cast.staff, {**body, "organisation": cast.payer_org.slug})
    assert granted.status_code == 201, granted.content
