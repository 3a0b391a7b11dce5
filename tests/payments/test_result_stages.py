"""Interim and final results of one cell (metric × cohort × period): what pays.

The rule is outcomes.cells: a verified final result replaces the verified interim results
of its cell; a second result for a cell is an amendment, a final after interims, or
declared additional with a reason. Figures use the demo bond ("enters training" pays
800 € a participant, the State 70 %, the département 30 %).
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from outcomes import services as outcome_services
from outcomes.models import Result
from payments.models import LedgerTransaction, TransactionKind
from payments.outcome_payments import verified_inputs
from payments.position import programme_position
from reports.selectors.outcomes import outcomes_as_of
from sib.chain_verification import chain_verify
from sib.exceptions import Conflict
from sib.models import ChainEntry
from tests.payments.schedule_support import D, jardins

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def total_due(deal) -> int:
    position = programme_position(programme=deal.programme)
    return position.payer("etat").due + position.payer("departement-13").due


def test_a_verified_final_replaces_the_verified_interim_of_its_cell():
    deal = jardins()
    deal.result("training", "c1", "2026", 12, stage="interim")
    assert total_due(deal) == 12 * 80_000

    deal.result("training", "c1", "2026", 25, stage="final")

    assert total_due(deal) == 25 * 80_000  # not 37 participants
    postings = LedgerTransaction.objects.filter(
        programme=deal.programme, kind=TransactionKind.OUTCOME_DUE
    ).order_by("id")
    assert [p.description.split(":")[0] for p in postings] == [
        "Outcome payment due",
        "Outcome payment restated",
    ]
    assert sum(leg.debit for leg in postings[1].legs.all()) == 13 * 80_000


def test_the_books_as_of_a_chain_state_before_the_final_still_count_the_interim():
    deal = jardins()
    deal.result("training", "c1", "2026", 12, stage="interim")
    before_final = ChainEntry.objects.filter(programme=deal.programme).order_by("seq").last().seq
    deal.result("training", "c1", "2026", 25, stage="final")
    head = ChainEntry.objects.filter(programme=deal.programme).order_by("seq").last().seq

    def counted(seq):
        inputs = verified_inputs(programme=deal.programme, seq=seq)
        return sorted(int(r.count) for r in inputs.aggregate_results)

    assert counted(before_final) == [12]
    assert counted(head) == [25]
    assert sorted(
        int(r.count) for r in verified_inputs(programme=deal.programme).aggregate_results
    ) == [25]


def test_an_interim_verified_after_the_final_of_its_cell_does_not_count():
    deal = jardins()
    interim = deal.result("training", "c1", "2026", 12, stage="interim", verify=False)
    deal.result("training", "c1", "2026", 25, stage="final")
    outcome_services.result_verify(result=interim, user=deal.lead)

    assert total_due(deal) == 25 * 80_000


def test_a_second_result_for_a_cell_is_refused_naming_the_rule():
    deal = jardins()
    first = deal.result("training", "c1", "2026", 12, stage="interim")

    with pytest.raises(Conflict) as refused:
        deal.result("training", "c1", "2026", 5, stage="interim")
    assert refused.value.code == "cell_taken"
    assert f"Result #{first.pk} (interim) already exists" in str(refused.value)
    assert "declare this one additional" in str(refused.value)
    with translation.override("fr"):
        assert "déjà" in str(refused.value)


def test_a_second_final_is_refused_and_a_submitted_one_blocks_the_cell_too():
    deal = jardins()
    deal.result("training", "c1", "2026", 25, stage="final", verify=False)
    with pytest.raises(Conflict):
        deal.result("training", "c1", "2026", 26, stage="final")


def test_an_interim_after_a_final_is_refused_even_declared_additional():
    deal = jardins()
    deal.result("training", "c1", "2026", 25, stage="final")
    with pytest.raises(Conflict) as refused:
        deal.result(
            "training",
            "c1",
            "2026",
            3,
            stage="interim",
            additional=True,
            additional_reason="late forms",
        )
    assert refused.value.code == "interim_after_final"


def test_a_rejected_result_frees_its_cell():
    deal = jardins()
    first = deal.result("training", "c1", "2026", 12, stage="interim", verify=False)
    outcome_services.result_reject(result=first, user=deal.lead, comment="wrong cohort")
    deal.result("training", "c1", "2026", 11, stage="interim")
    assert total_due(deal) == 11 * 80_000


def test_a_result_declared_additional_with_a_reason_counts_beside_the_first():
    deal = jardins()
    deal.result("training", "c1", "2026", 12, stage="interim")
    extra = deal.result(
        "training",
        "c1",
        "2026",
        4,
        stage="interim",
        additional=True,
        additional_reason="a second site joined in May",
    )

    assert total_due(deal) == 16 * 80_000
    assert extra.additional and extra.additional_reason == "a second site joined in May"
    # ... until the final of the cell replaces both interims.
    deal.result("training", "c1", "2026", 25, stage="final")
    assert total_due(deal) == 25 * 80_000
    assert chain_verify(programme_id=deal.programme.pk).ok


def test_additional_needs_a_reason_in_the_service_and_in_the_database():
    deal = jardins()
    deal.result("training", "c1", "2026", 12, stage="interim")
    with pytest.raises(ValidationError) as refused:
        deal.result("training", "c1", "2026", 4, stage="interim", additional=True)
    assert "additional_reason" in refused.value.message_dict

    first = Result.objects.get(programme=deal.programme)
    with pytest.raises(IntegrityError, match="result_additional_has_reason"), transaction.atomic():
        Result.objects.create(
            programme=deal.programme,
            metric=first.metric,
            cohort=first.cohort,
            period=first.period,
            stage="interim",
            value=4,
            additional=True,
            submitted_by=deal.evaluator,
        )


def test_an_amendment_still_corrects_a_verified_result_of_the_cell():
    deal = jardins()
    first = deal.result("training", "c1", "2026", 12, stage="interim")
    amendment = outcome_services.result_amend(
        result=first,
        user=deal.evaluator,
        reason="recount",
        stage=None,
        values=outcome_services.ResultValues(value=Decimal(10)),
    )
    outcome_services.result_verify(result=amendment, user=deal.lead)
    assert total_due(deal) == 10 * 80_000


def test_a_final_aggregate_replaces_a_participant_backed_interim_of_its_cell():
    deal = jardins()
    people = [(f"p{i}", D(2026, 3, 1)) for i in range(12)]
    deal.participants("training", "c1", "2026", people, stage="interim")
    assert total_due(deal) == 12 * 80_000

    deal.result("training", "c1", "2026", 25, stage="final")
    assert total_due(deal) == 25 * 80_000


def test_participant_files_of_one_cell_add_up_whatever_their_stage():
    # One record per participant x metric x period: the final file lists other people.
    deal = jardins()
    first = [(f"p{i}", D(2026, 3, 1)) for i in range(12)]
    deal.participants("training", "c1", "2026", first, stage="interim")
    deal.participants("training", "c1", "2026", [(f"q{i}", D(2026, 9, 1)) for i in range(13)])
    assert total_due(deal) == 25 * 80_000


def test_an_aggregate_interim_beside_a_participant_backed_one_is_refused():
    deal = jardins()
    people = [(f"p{i}", D(2026, 3, 1)) for i in range(12)]
    deal.participants("training", "c1", "2026", people, stage="interim")
    with pytest.raises(Conflict):
        deal.result("training", "c1", "2026", 5, stage="interim")


def test_the_reports_count_the_final_in_place_of_the_interim_as_the_payments_do():
    deal = jardins()
    deal.result("training", "c1", "2026", 12, stage="interim")
    before_final = ChainEntry.objects.filter(programme=deal.programme).order_by("seq").last().seq
    deal.result("training", "c1", "2026", 25, stage="final")
    head = ChainEntry.objects.filter(programme=deal.programme).order_by("seq").last().seq

    assert outcomes_as_of(deal.programme, before_final, "en").verified_count == 12
    assert outcomes_as_of(deal.programme, head, "en").verified_count == 25
