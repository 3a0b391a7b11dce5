"""The "history" section: a running bond brought in with its original dates, marked imported."""

from datetime import UTC, date, datetime

import pytest
from django.utils import translation

from outcomes.models import Result
from payments.models import Drawdown, LedgerTransaction
from sib.demo import demo_definition
from sib.models import ChainEntry, Membership, User
from sib.programme_format import (
    DefinitionError,
    programme_definition_dump,
    programme_definition_load,
    sections,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create(username="manager")


def _errors(document, creator) -> dict[str, str]:
    # English, as programme_load answers (the messages are translated elsewhere).
    with translation.override("en"), pytest.raises(DefinitionError) as error:
        programme_definition_load(document, creator=creator)
    return dict(error.value.errors)


def test_history_loads_after_activation_and_before_the_final_status():
    order = {section.name: section.order for section in sections()}
    assert order["_activation"] < order["history"] == 90 < order["_final_status"]


def test_history_keeps_its_dates_and_every_chain_entry_says_imported(creator):
    programme = programme_definition_load(demo_definition(), creator=creator)
    # The definition's terms are chained as loaded (payments.contract), and the creator's
    # and the evaluators' grants as made: neither is imported history.
    entries = (
        ChainEntry.objects.filter(programme=programme)
        .exclude(kind__in=["payments.contract_version", "sib.role_change"])
        .order_by("seq")
    )
    # Six drawdowns, two verified results each followed by the outcome payment due it
    # books, one payment received: all imported, in date order.
    verified = [("outcomes.decision", True), ("ledger_transaction", True)]
    assert [(e.kind, e.imported) for e in entries] == [("ledger_transaction", True)] * 6 + (
        verified * 2
    ) + [("ledger_transaction", True)]
    assert sorted({d.called_on for d in Drawdown.objects.filter(programme=programme)}) == [
        date(2026, 1, 15),
        date(2026, 7, 1),
    ]
    training = Result.objects.get(programme=programme, metric__code="training")
    assert training.submitted_at == datetime(2026, 9, 30, 9, 0, tzinfo=UTC)
    assert training.decision.decided_at == datetime(2026, 10, 7, 14, 30, tzinfo=UTC)
    assert (training.submitted_by.username, training.decision.decided_by.username) == (
        "evaluator",
        "lead",
    )
    assert Membership.objects.filter(
        programme=programme, user__username="lead", role="lead_evaluator"
    ).exists()
    [payment] = LedgerTransaction.objects.filter(programme=programme, kind="payment_received")
    assert payment.occurred_on == date(2026, 11, 20)


def test_an_entry_recorded_live_is_not_marked_imported(creator):
    from payments import services

    programme = programme_definition_load(demo_definition(), creator=creator)
    commitment = Drawdown.objects.filter(programme=programme).first().commitment
    services.drawdown_record(
        commitment=commitment, called_on=date(2026, 12, 1), amount=100, actor=creator
    )
    last = ChainEntry.objects.filter(programme=programme).order_by("-seq").first()
    assert last.imported is False


def test_history_errors_name_their_json_path_and_nothing_is_written(creator):
    document = demo_definition()
    history = document["history"]
    history["drawdowns"][0]["investor"] = "nobody"
    history["drawdowns"][1]["amount"] = 30_000_001  # fondation-terre committed 30 000 000
    history["results"][0]["verified_by"] = "evaluator"
    history["results"][1]["submitted_at"] = "2026-11-02"
    history["payments_received"][0]["payer"] = "banque-solidaire"
    errors = _errors(document, creator)
    assert set(errors) >= {
        "history.drawdowns[0].investor",
        "history.drawdowns[1].amount",
        "history.results[0].verified_by",
        "history.results[1].submitted_at",
        "history.payments_received[0].payer",
    }
    assert "four eyes" in errors["history.results[0].verified_by"]
    assert not ChainEntry.objects.exists()


def test_a_rule_only_the_services_keep_is_reported_at_its_entry(creator):
    # The codes exist, but the metric is not measured for that cohort: validation cannot
    # see it, the outcomes service refuses it, and the error still names the entry.
    document = demo_definition()
    [training] = [m for m in document["metrics"] if m["code"] == "training"]
    training["cohorts"] = ["2027", "2028"]
    errors = _errors(document, creator)
    assert list(errors) == ["history.results[0]"]
    assert not ChainEntry.objects.exists()


def test_a_draft_programme_carries_no_history(creator):
    document = demo_definition()
    document["programme"]["status"] = "draft"
    assert "history" in _errors(document, creator)


def test_a_programme_without_history_dumps_no_history_section(creator):
    document = demo_definition()
    del document["history"]
    programme = programme_definition_load(document, creator=creator)
    assert "history" not in programme_definition_dump(programme)


def _second_result(document, **fields):
    first = dict(document["history"]["results"][0])
    later = {
        "submitted_at": "2026-12-01T09:00:00+00:00",
        "verified_at": "2026-12-02T09:00:00+00:00",
    }
    document["history"]["results"].append({**first, **later, "value": "3", **fields})
    return len(document["history"]["results"]) - 1


def test_a_second_result_of_a_cell_in_history_is_refused_at_its_entry(creator):
    document = demo_definition()
    at = _second_result(document)
    errors = _errors(document, creator)
    assert list(errors) == [f"history.results[{at}]"]
    assert "already exists" in errors[f"history.results[{at}]"]
    assert not ChainEntry.objects.exists()


def test_a_declared_additional_result_in_history_needs_its_reason_and_round_trips(creator):
    document = demo_definition()
    at = _second_result(document, additional=True, additional_reason="")
    assert f"history.results[{at}].additional_reason" in _errors(document, creator)

    document["history"]["results"][at]["additional_reason"] = "a second site"
    programme = programme_definition_load(document, creator=creator)
    extra = Result.objects.get(programme=programme, additional=True)
    assert extra.additional_reason == "a second site"
    dumped = programme_definition_dump(programme)["history"]["results"]
    assert [(r.get("additional"), r.get("additional_reason")) for r in dumped].count(
        (True, "a second site")
    ) == 1
    assert sum("additional" in r for r in dumped) == 1
