"""A guarantee's percentage cover as the format, the services, the database and the API
keep it: `guarantee.cover_percent` beside or instead of `cover_limit` (at least one)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from rest_framework.test import APIClient

from payments import services
from payments.contract import contract_definition
from payments.models import Tranche
from sib.demo import demo_definition
from sib.models import Organisation, User
from sib.programme_format import (
    DefinitionError,
    programme_definition_dump,
    programme_definition_load,
)
from tests.payments.ledger_support import make_deal
from tests.payments.test_ledger_format import DEMO_TRANCHES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def creator():
    return User.objects.create_superuser("root", password="pw-123456789")


def document(guarantee: dict, committed: int = 15_000_000) -> dict:
    keep = ("format", "version", "organisations", "programme", "parties")
    envelope = {key: value for key, value in demo_definition().items() if key in keep}
    first_loss = {
        **DEMO_TRANCHES[2],
        "guarantee": guarantee,
        "commitments": [
            {"investor": "fondation-garantie", "amount": committed, "committed_on": "2026-01-01"}
        ],
    }
    return {**envelope, "tranches": [*DEMO_TRANCHES[:2], first_loss]}


@pytest.mark.parametrize(
    "guarantee",
    [
        {"protects": "senior", "cover_percent": "50", "cover_limit": 15_000_000},
        {"protects": "senior", "cover_percent": "33.3333"},
        {"protects": "senior", "cover_limit": 15_000_000},
    ],
)
def test_a_guarantee_loads_and_dumps_back_to_itself(creator, guarantee):
    loaded = document(guarantee)
    programme = programme_definition_load(loaded, creator=creator)
    assert programme_definition_dump(programme)["tranches"] == loaded["tranches"]


def test_a_percentage_is_kept_exactly_and_dumped_as_written_without_trailing_zeros(creator):
    loaded = document({"protects": "senior", "cover_percent": "50.00"})
    programme = programme_definition_load(loaded, creator=creator)
    tranche = Tranche.objects.get(programme=programme, key="first-loss")
    assert (tranche.cover_percent, tranche.cover_limit) == (Decimal(50), None)
    dumped = programme_definition_dump(programme)["tranches"][2]["guarantee"]
    assert dumped == {"protects": "senior", "cover_percent": "50"}


def test_without_a_limit_the_guarantor_may_commit_any_amount(creator):
    """No cover limit: the commitments alone bound what the guarantee pays."""
    loaded = document({"protects": "senior", "cover_percent": "50"}, committed=90_000_000)
    programme = programme_definition_load(loaded, creator=creator)
    assert programme_definition_dump(programme)["tranches"][2]["commitments"][0]["amount"] == (
        90_000_000
    )


def test_a_limit_still_bounds_what_the_guarantors_commit(creator):
    loaded = document(
        {"protects": "senior", "cover_percent": "50", "cover_limit": 15_000_000},
        committed=15_000_001,
    )
    with pytest.raises(DefinitionError, match="Guarantee cover is"):
        programme_definition_load(loaded, creator=creator)


@pytest.mark.parametrize(
    ("cover_percent", "message"),
    [
        ("0", "(0, 100]"),
        ("100.5", "(0, 100]"),
        ("-50", "(0, 100]"),
        ("12.34567", "more than 4 decimal places"),
        (50, "must be a string"),
        (0.5, "decimal string"),
    ],
)
def test_a_wrong_cover_percentage_is_refused_at_its_json_path(creator, cover_percent, message):
    loaded = document({"protects": "senior", "cover_percent": cover_percent})
    with pytest.raises(DefinitionError) as refused:
        programme_definition_load(loaded, creator=creator)
    errors = dict(refused.value.errors)
    assert message in errors["tranches[2].guarantee.cover_percent"]
    assert not Tranche.objects.exists()


def test_a_guarantee_without_limit_or_percentage_is_refused_naming_both(creator):
    with pytest.raises(DefinitionError) as refused:
        programme_definition_load(document({"protects": "senior"}), creator=creator)
    assert dict(refused.value.errors)["tranches[2].guarantee"] == (
        "needs at least one of cover_limit, cover_percent"
    )


def test_the_service_refuses_a_percentage_on_a_loan_a_cover_of_nothing_or_too_fine():
    deal = make_deal("cover")
    with pytest.raises(ValidationError) as loan:
        services.tranche_create(
            programme=deal.programme,
            key="junior",
            name="Junior",
            kind="subordinated_loan",
            priority=2,
            cover_percent=Decimal(50),
        )
    assert "protects" in loan.value.message_dict
    with pytest.raises(ValidationError) as nothing:
        services.tranche_create(
            programme=deal.programme,
            key="g",
            name="Guarantee",
            kind="guarantee",
            priority=2,
            protects=deal.tranche,
        )
    assert "cover_limit" in nothing.value.message_dict
    with pytest.raises(ValidationError) as too_fine:
        services.tranche_create(
            programme=deal.programme,
            key="g",
            name="Guarantee",
            kind="guarantee",
            priority=2,
            protects=deal.tranche,
            cover_percent=Decimal("33.33333"),
        )
    assert "4 decimal places" in too_fine.value.message_dict["cover_percent"][0]
    assert not Tranche.objects.filter(key__in=("junior", "g")).exists()


@pytest.mark.parametrize(
    ("cover_percent", "cover_limit"),
    [(None, None), (Decimal(0), None), (Decimal("100.0001"), 1), (Decimal(50), 0)],
)
def test_the_database_refuses_a_guarantee_without_a_valid_cover(cover_percent, cover_limit):
    """Even a write that skips the service cannot store a guarantee that covers nothing."""
    deal = make_deal("db")
    with pytest.raises(IntegrityError), transaction.atomic():
        Tranche.objects.create(
            programme=deal.programme,
            key="g",
            name="Guarantee",
            kind="guarantee",
            priority=2,
            protects=deal.tranche,
            cover_percent=cover_percent,
            cover_limit=cover_limit,
        )


def test_the_contract_terms_carry_a_percentage_cover_and_leave_a_limit_alone_as_it_was():
    """A limit-only guarantee's terms read as before percentages existed, so the contract
    versions chained then keep their digest; a percentage cover adds its two terms."""
    deal = make_deal("terms")
    guarantor = Organisation.objects.get(slug="terms-investor")
    for key, priority, percent in (("g-limit", 2, None), ("g-half", 3, Decimal("50.0"))):
        g = services.tranche_create(
            programme=deal.programme,
            key=key,
            name=key,
            kind="guarantee",
            priority=priority,
            protects=deal.tranche,
            cover_limit=500_000,
            cover_percent=percent,
        )
        services.commitment_create(
            tranche=g, investor=guarantor, amount=400_000, committed_on=deal.commitment.committed_on
        )
    terms = {t["id"]: t for t in contract_definition(programme=deal.programme)["tranches"]}
    assert set(terms["g-limit"]) == {"cap", "commitments", "id", "kind", "protects"}
    assert (terms["g-half"]["cover_percent"], terms["g-half"]["cover_limit"]) == ("50", 500_000)


def test_the_api_creates_and_shows_a_percentage_cover():
    deal = make_deal("api")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(deal.manager)
    url = f"/api/programmes/{deal.programme.pk}/tranches/create/"
    body = {"key": "g", "name": "Guarantee", "kind": "guarantee", "priority": 2}
    created = client.post(url, {**body, "protects": "senior", "cover_percent": "50"}, "json")
    assert created.status_code == 201, created.content
    assert (created.json()["cover_percent"], created.json()["cover_limit"]) == ("50.0000", None)
    too_fine = client.post(
        url, {**body, "key": "g2", "priority": 3, "protects": "senior", "cover_percent": "0.00001"}
    )
    assert too_fine.status_code == 400
    assert {e["field"] for e in too_fine.json()["errors"]} == {"cover_percent"}
