"""History brought in at scale (issue 15): dates and amounts outside the contract are
refused with the rule, or accepted only as an explicit, recorded exception; a whole
history queues one schedule recompute, not one per entry."""

import pytest
from django.db import transaction
from django.utils import translation

from payments.models import AccountKind, Leg
from payments.outcome_payments import RECOMPUTE_TASK
from sib.demo import demo_definition
from sib.models import OutboxMessage, Programme, User
from sib.programme_format import (
    DefinitionError,
    programme_definition_dump,
    programme_definition_load,
)


@pytest.fixture
def creator(db):
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create(username="manager")


def _errors(document, creator) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with translation.override("en"), pytest.raises(DefinitionError) as error:
        programme_definition_load(document, creator=creator)
    assert not Programme.objects.exists()
    return dict(error.value.errors)


@pytest.mark.django_db(transaction=True)
def test_a_whole_history_queues_one_recompute(creator):
    document = demo_definition()
    payments = document["history"]["payments_received"]
    payments += [dict(payments[0], on=f"2026-12-{day:02d}", amount=1_000) for day in (1, 2, 3)]
    with transaction.atomic():
        programme = programme_definition_load(document, creator=creator)
    messages = OutboxMessage.objects.filter(task_name=RECOMPUTE_TASK)
    assert [m.kwargs for m in messages] == [{"programme_id": programme.pk}]


@pytest.mark.django_db
def test_a_payment_17_years_before_the_start_is_refused_with_the_rule(creator):
    document = demo_definition()
    document["history"]["payments_received"][0]["on"] = "2009-11-20"
    errors = _errors(document, creator)
    assert "before the contract starts (2026-01-01)" in errors["history.payments_received[0].on"]


@pytest.mark.django_db
def test_a_payment_above_what_is_due_is_refused_unless_flagged_an_advance(creator):
    document = demo_definition()
    document["history"]["payments_received"][0]["amount"] = 9_000_000
    errors = _errors(document, creator)
    assert "record it as an advance" in errors["history.payments_received[0]"]

    document["history"]["payments_received"][0]["advance"] = True
    programme = programme_definition_load(document, creator=creator)
    # Recorded as the exception it is: the part above what is owed is the payer's advance.
    ahead = Leg.objects.filter(
        account__programme=programme, account__kind=AccountKind.PAYER_ADVANCE
    )
    assert sum(leg.credit for leg in ahead) > 0
    [dumped] = programme_definition_dump(programme)["history"]["payments_received"]
    assert dumped == {"amount": 9_000_000, "on": "2026-11-20", "payer": "etat", "advance": True}


@pytest.mark.django_db
def test_a_payment_past_the_contract_cap_is_refused_with_the_rule(creator):
    document = demo_definition()
    document["programme"]["contract_cap"] = 3_000_000
    errors = _errors(document, creator)
    message = " ".join(m for path, m in errors.items() if path.startswith("history."))
    assert "advance" in message, errors


@pytest.mark.django_db
def test_the_advance_flag_is_true_or_false(creator):
    document = demo_definition()
    document["history"]["payments_received"][0]["advance"] = "yes"
    errors = _errors(document, creator)
    assert "history.payments_received[0].advance" in errors


@pytest.mark.django_db
def test_a_result_verified_17_years_before_the_start_is_refused_with_the_rule(creator):
    # It loaded: a result's verification is not a ledger date, so nothing looked at it.
    document = demo_definition()
    result = document["history"]["results"][0]
    result["submitted_at"] = "2009-11-20T09:00:00+00:00"
    result["verified_at"] = "2009-11-27T09:00:00+00:00"
    errors = _errors(document, creator)
    assert "before the contract starts (2026-01-01)" in errors["history.results[0].submitted_at"]
    assert "before the contract starts" in errors["history.results[0].verified_at"]


@pytest.mark.django_db
def test_every_entry_dated_before_the_start_is_listed_at_once_with_its_field(creator):
    document = demo_definition()
    history = document["history"]
    history["drawdowns"][0]["on"] = "2009-01-01"
    history["payments_received"][0]["on"] = "2009-11-20"
    errors = _errors(document, creator)
    assert "before the contract starts (2026-01-01)" in errors["history.drawdowns[0].on"]
    assert "before the contract starts" in errors["history.payments_received[0].on"]


@pytest.mark.django_db
def test_a_negative_result_is_refused_with_the_rule_not_an_integrity_error(creator):
    document = demo_definition()
    document["history"]["results"][0]["value"] = "-1"
    document["history"]["results"][0]["comparison_value"] = "-2"
    errors = _errors(document, creator)
    assert "negative" in errors["history.results[0].value"]
    assert "negative" in errors["history.results[0].comparison_value"]


@pytest.mark.django_db
def test_a_fractional_count_is_refused_before_anything_is_written(creator):
    # Listed with the others by the validator, at the value's own path.
    document = demo_definition()
    document["history"]["results"][0]["value"] = "62.5"
    document["history"]["drawdowns"][0]["on"] = "2009-01-01"
    errors = _errors(document, creator)
    assert "counts participants: 62.5 is not a whole number" in errors["history.results[0].value"]
    assert "history.drawdowns[0].on" in errors


@pytest.mark.django_db
def test_the_history_refusals_are_translated(creator):
    document = demo_definition()
    result = document["history"]["results"][0]
    result["verified_by"] = result["submitted_by"]
    document["history"]["drawdowns"][0]["on"] = "2009-01-01"
    with translation.override("fr"), pytest.raises(DefinitionError) as error:
        programme_definition_load(document, creator=creator)
    errors = dict(error.value.errors)
    assert errors["history.results[0].verified_by"].startswith("quatre yeux")
    assert "antérieur au début du contrat" in errors["history.drawdowns[0].on"]
