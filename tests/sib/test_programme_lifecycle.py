"""The programme's lifecycle and its payers: rules of the contract set-up."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sib import services
from sib.models import Organisation, Programme, ProgrammeStatus, User
from tests.cast import make_programme

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # The services' messages are translated and French is the default language; English
    # keeps the assertions on wording readable.
    with translation.override("en"):
        yield


@pytest.fixture
def manager():
    return User.objects.create_user("manager-x", password="pw-123456789")


@pytest.fixture
def draft(manager):
    return services.programme_create(
        creator=manager,
        name="Jardins",
        slug="jardins",
        currency="EUR",
        start_date=date(2026, 1, 1),
        end_date=date(2030, 12, 31),
        contract_cap=150_000_000,
    )


def payer(slug):
    return Organisation.objects.create(slug=slug, name=slug.title(), kinds=["outcome_payer"])


def test_creator_becomes_the_first_fund_manager(draft, manager):
    assert list(draft.memberships.values_list("user__username", "role")) == [
        ("manager-x", "fund_manager")
    ]
    assert draft.status == ProgrammeStatus.DRAFT


def test_programme_refuses_unknown_currency_and_reversed_dates(manager):
    with pytest.raises(ValidationError) as error:
        services.programme_create(
            creator=manager,
            name="X",
            slug="x",
            currency="XYZ",
            start_date=date(2027, 1, 1),
            end_date=date(2026, 1, 1),
            contract_cap=1,
        )
    assert set(error.value.message_dict) == {"currency", "end_date"}


def test_payer_shares_must_sum_to_exactly_100_to_activate(draft):
    services.programme_party_add(
        programme=draft, organisation=payer("etat"), role="outcome_payer", payer_share=Decimal(70)
    )
    with pytest.raises(ValidationError, match="exactly 100%"):
        services.programme_activate(programme=draft)
    services.programme_party_add(
        programme=draft,
        organisation=payer("dept"),
        role="outcome_payer",
        payer_share=Decimal("30.0000"),
    )
    assert services.programme_activate(programme=draft).status == ProgrammeStatus.ACTIVE


def test_payer_shares_cannot_exceed_100(draft):
    services.programme_party_add(
        programme=draft, organisation=payer("a"), role="outcome_payer", payer_share=Decimal(70)
    )
    with pytest.raises(ValidationError, match="above 100%"):
        services.programme_party_add(
            programme=draft,
            organisation=payer("b"),
            role="outcome_payer",
            payer_share=Decimal("30.0001"),
        )


def test_an_organisation_takes_only_a_role_it_is_registered_for(draft):
    provider = Organisation.objects.create(slug="p", name="P", kinds=["service_provider"])
    with pytest.raises(ValidationError, match="not registered as outcome payer"):
        services.programme_party_add(
            programme=draft, organisation=provider, role="outcome_payer", payer_share=Decimal(100)
        )


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("draft", "active", True),
        ("draft", "terminated", True),
        ("draft", "closed", False),
        ("active", "closed", True),
        ("active", "terminated", True),
        ("active", "draft", False),
        ("closed", "active", False),
        ("terminated", "active", False),
        ("closed", "terminated", False),
    ],
)
def test_only_legal_lifecycle_transitions(start, target, allowed):
    assert (target in services.TRANSITIONS[start]) is allowed


def test_terminated_programme_records_date_and_reason_and_accepts_nothing_new(manager):
    programme = make_programme("t1", manager)
    with pytest.raises(ValidationError, match="reason"):
        services.programme_terminate(
            programme=programme, termination_date=date(2027, 6, 30), reason=" "
        )
    programme = services.programme_terminate(
        programme=programme, termination_date=date(2027, 6, 30), reason="Payer option exercised"
    )
    assert programme.status == ProgrammeStatus.TERMINATED
    assert programme.termination_date == date(2027, 6, 30)
    assert not programme.accepts_new_entries
    with pytest.raises(ValidationError, match="cannot become active"):
        services.programme_activate(programme=programme)


def test_termination_date_must_fall_within_the_programme(manager):
    programme = make_programme("t2", manager)
    with pytest.raises(ValidationError, match="within the programme"):
        services.programme_terminate(
            programme=programme, termination_date=date(2031, 1, 1), reason="Late"
        )


def test_deal_terms_are_frozen_once_active(manager):
    programme = make_programme("t3", manager)
    with pytest.raises(ValidationError) as error:
        services.programme_update(programme=programme, contract_cap=1, description="ok")
    assert "contract_cap" in error.value.message_dict
    updated = services.programme_update(programme=programme, description="New words")
    assert updated.description == "New words"


def test_investor_member_is_bound_to_an_investor_of_the_programme(manager):
    programme = make_programme("t4", manager)
    user = User.objects.create_user("inv", password="pw-123456789")
    with pytest.raises(ValidationError, match="bound to an investor"):
        services.membership_add(programme=programme, user=user, role="investor")
    outsider = Organisation.objects.create(slug="o", name="O", kinds=["investor"])
    with pytest.raises(ValidationError, match="not a party of this programme"):
        services.membership_add(
            programme=programme, user=user, role="investor", organisation=outsider
        )


def test_programme_changes_are_audited_with_old_values(manager):
    import pghistory.models

    programme = make_programme("t5", manager)
    services.programme_update(programme=programme, description="Second")
    events = pghistory.models.Events.objects.tracks(programme).order_by("pgh_created_at")
    descriptions = [e.pgh_data["description"] for e in events]
    assert descriptions[-2:] == ["", "Second"] or "Second" in descriptions
    assert len(events) >= 3  # created, activated, described


def _api_create(user, **fields):  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    body = {
        "name": "Pathways",
        "slug": "pathways",
        "currency": "GBP",
        "start_date": "2019-04-01",
        "end_date": "2023-03-31",
        **fields,
    }
    return client.post("/api/programmes/create/", body, format="json")


def test_the_api_takes_an_unknown_cap_as_null_but_never_a_missing_one(django_user_model):
    staff = django_user_model.objects.create_user("cap-staff", password="pw-1", is_staff=True)
    missing = _api_create(staff)
    assert missing.status_code == 400
    assert [error["field"] for error in missing.json()["errors"]] == ["contract_cap"]
    created = _api_create(staff, contract_cap=None)
    assert created.status_code == 201, created.content
    assert created.json()["contract_cap"] is None
    assert Programme.objects.get(slug="pathways").contract_cap is None
