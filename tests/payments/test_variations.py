"""Contract variations of an active programme: chained, dated, applied by the schedule.

The Jardins deal (tests/payments/schedule_support.py): training 800 €, the State 70 %,
the département 30 %. Amounts are cents.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from rest_framework.test import APIClient

from payments.models import ProgrammeVariation
from payments.schedule_builder import schedule_document
from payments.variations import CHAIN_KIND, programme_vary
from sib import services as sib_services
from sib.chain_verification import chain_verify
from sib.models import ChainEntry, User
from tests.payments.schedule_support import D, Deal, jardins

pytestmark = pytest.mark.django_db
EUR = 100
JULY_1 = D(2026, 7, 1)


def may_and_august(deal: Deal) -> None:
    deal.participants("training", "c1", "2026", [(f"m{i}", D(2026, 5, 10)) for i in range(5)])
    deal.participants("training", "c2", "2026", [(f"a{i}", D(2026, 8, 10)) for i in range(3)])


def test_a_price_change_applies_from_its_date_in_the_schedule_and_the_chain_verifies():
    """Price 800 → 1,000 from 1 July: 5 outcomes in May and 3 in August
    = 5 × 800 + 3 × 1,000 = 7,000.00 (before the variation: 8 × 800 = 6,400.00)."""
    deal = jardins()
    may_and_august(deal)
    before = schedule_document(programme=deal.programme)
    assert before["outcome_payments"]["total"] == 6_400 * EUR

    variation = programme_vary(
        programme=deal.programme,
        kind="price_change",
        effective_date=JULY_1,
        reason="Agreed at the mid-term review",
        parameters={"metric": "training", "price": 1_000 * EUR},
        actor=deal.manager,
    )

    after = schedule_document(programme=deal.programme)
    assert after["outcome_payments"]["total"] == 7_000 * EUR
    assert after["contract_version"] != before["contract_version"]
    assert ChainEntry.objects.filter(kind=CHAIN_KIND, object_id=str(variation.pk)).exists()
    assert chain_verify(programme_id=deal.programme.pk).ok
    # The state before the variation keeps its figures.
    assert schedule_document(programme=deal.programme, at=before_seq(deal, variation))[
        "outcome_payments"
    ]["total"] == (6_400 * EUR)


def before_seq(deal: Deal, variation: ProgrammeVariation) -> int:
    entry = ChainEntry.objects.get(programme=deal.programme, kind=CHAIN_KIND)
    assert entry.object_id == str(variation.pk)
    return entry.seq - 1


def test_a_pause_then_a_resumption_stops_the_outcomes_between_them():
    """Paused 1 July, resumed 1 September: May (5) pays 5 × 800 = 4,000.00; August (3)
    is not payable, reason paused: 3 × 800 = 2,400.00."""
    deal = jardins()
    may_and_august(deal)
    for kind, on in (("pause", JULY_1), ("resume", D(2026, 9, 1))):
        programme_vary(programme=deal.programme, kind=kind, effective_date=on, reason="Works")
    plan = schedule_document(programme=deal.programme)["outcome_payments"]
    assert plan["total"] == 4_000 * EUR
    assert [(n["reason"], n["count"], n["amount"]) for n in plan["not_payable"]] == [
        ("paused", 3, 2_400 * EUR)
    ]


def test_a_removed_cohort_stops_paying_from_its_date_and_payers_owe_less():
    """Cohort c2 removed from 1 July: its 3 August outcomes (2,400.00) are not payable,
    reason cohort_removed; the payers owe 5 × 800 = 4,000.00 (the State 70 %: 2,800.00)."""
    deal = jardins()
    may_and_august(deal)
    programme_vary(
        programme=deal.programme,
        kind="cohort_removed",
        effective_date=JULY_1,
        reason="Cohort 2 withdrawn by the département",
        parameters={"cohort": "c2"},
    )
    plan = schedule_document(programme=deal.programme)["outcome_payments"]
    assert plan["total"] == 4_000 * EUR
    assert [(n["reason"], n["cohort"]) for n in plan["not_payable"]] == [("cohort_removed", "c2")]
    assert {p["payer"]: p["amount"] for p in plan["payer_totals"]}["etat"] == 2_800 * EUR
    assert chain_verify(programme_id=deal.programme.pk).ok


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"effective_date": D(2025, 12, 31)}, "effective_date"),
        ({"effective_date": D(2031, 1, 1)}, "effective_date"),
        ({"reason": "  "}, "reason"),
        ({"kind": "renegotiation"}, "kind"),
        ({"parameters": {"metric": "nope", "price": 1}}, "parameters.metric"),
        ({"parameters": {"metric": "training", "price": -1}}, "parameters.price"),
        ({"parameters": {"metric": "training", "price": 1.5}}, "parameters.price"),
        ({"parameters": {"metric": "training", "price": 1, "x": 1}}, "parameters.x"),
        ({"kind": "cohort_removed", "parameters": {"cohort": "c9"}}, "parameters.cohort"),
        ({"kind": "resume", "parameters": {}}, "kind"),
    ],
)
def test_a_variation_the_contract_does_not_allow_is_refused_naming_the_field(changes, field):
    deal = jardins()
    arguments = {
        "kind": "price_change",
        "effective_date": JULY_1,
        "reason": "Review",
        "parameters": {"metric": "training", "price": 1_000 * EUR},
        **changes,
    }
    with pytest.raises(ValidationError) as refused:
        programme_vary(programme=deal.programme, **arguments)
    assert field in refused.value.message_dict
    assert not ProgrammeVariation.objects.exists()


def test_a_variation_dated_before_the_last_one_is_refused():
    deal = jardins()
    programme_vary(programme=deal.programme, kind="pause", effective_date=JULY_1, reason="W")
    with pytest.raises(ValidationError) as refused:
        programme_vary(
            programme=deal.programme, kind="resume", effective_date=D(2026, 6, 30), reason="W"
        )
    assert "effective_date" in refused.value.message_dict


def test_a_draft_programme_is_not_varied_its_terms_are_still_edited():
    deal = jardins()
    draft = sib_services.programme_create(
        creator=deal.manager,
        name="Draft",
        slug="draft",
        currency="EUR",
        start_date=D(2026, 1, 1),
        end_date=D(2030, 12, 31),
        contract_cap=None,
    )
    with pytest.raises(ValidationError) as refused:
        programme_vary(programme=draft, kind="pause", effective_date=JULY_1, reason="W")
    assert "programme" in refused.value.message_dict


def test_a_variation_is_never_edited_nor_deleted():
    deal = jardins()
    variation = programme_vary(
        programme=deal.programme, kind="pause", effective_date=JULY_1, reason="Works"
    )
    for sql in (
        "UPDATE payments_programme_variation SET reason = 'x' WHERE id = %s",
        "DELETE FROM payments_programme_variation WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [variation.pk])
    assert ProgrammeVariation.objects.get(pk=variation.pk).reason == "Works"


def test_the_fund_manager_varies_through_the_api_and_an_error_names_the_field():
    deal = jardins()
    client = APIClient()
    client.force_authenticate(deal.manager)
    url = f"/api/programmes/{deal.programme.pk}/variations/"
    body = {
        "kind": "price_change",
        "effective_date": "2026-07-01",
        "reason": "Mid-term review",
        "parameters": {"metric": "training", "price": 100_000},
    }
    created = client.post(f"{url}create/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["parameters"] == {"metric": "training", "price": 100_000}
    refused = client.post(f"{url}create/", {**body, "effective_date": "2026-06-01"}, format="json")
    assert refused.status_code == 400
    assert "effective_date" in str(refused.json())
    listed = client.get(url).json()
    assert [v["kind"] for v in listed["results"]] == ["price_change"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["Contract variations", "1 July 2026", "Price change", "training: price"]),
        (
            "fr",
            [
                "Avenants au contrat",
                "1er juillet 2026",
                "Changement de prix",
                "training\u00a0: prix",
            ],
        ),
    ],
)
def test_the_manager_report_lists_the_variations_with_their_date_kind_and_change(lang, expected):
    from reports.services import report_render
    from tests.reports.support import money, pdf_text

    deal = jardins()
    programme_vary(
        programme=deal.programme,
        kind="price_change",
        effective_date=JULY_1,
        reason="Review",
        parameters={"metric": "training", "price": 1_000 * EUR},
    )
    flat = " ".join(
        pdf_text(report_render(programme=deal.programme, edition="manager", language=lang)).split()
    )
    for text in [*expected, money(1_000 * EUR, lang)]:
        assert " ".join(text.split()) in flat, text
    public = pdf_text(report_render(programme=deal.programme, edition="public", language=lang))
    assert expected[0] not in " ".join(public.split())


def test_the_manager_report_names_the_metric_and_the_cohort_a_variation_changes():
    from reports.services import report_render
    from tests.reports.support import pdf_text

    deal = Deal("named").cohort("c1", 100)
    deal.period("2026", D(2026, 1, 1), D(2026, 12, 31))
    deal.metric("training", {"kind": "rate_card", "price": 80_000}, name="Enters training")
    for kind, parameters in (
        ("price_change", {"metric": "training", "price": 100_000}),
        ("cohort_removed", {"cohort": "c1"}),
    ):
        programme_vary(
            programme=deal.programme,
            kind=kind,
            effective_date=JULY_1,
            reason="Review",
            parameters=parameters,
        )
    flat = " ".join(
        pdf_text(report_render(programme=deal.programme, edition="manager", language="en")).split()
    )
    assert "Enters training (training): price" in flat
    assert "cohort c1: its outcomes" in flat  # a cohort named by its code alone: said once


def test_a_public_funder_reads_the_variations_that_change_what_its_payer_owes():
    # A fund manager records a variation alone (a price change restates every payer's
    # due): the payers' funders must at least see it, with its date, its reason and what
    # it changed (issue 12: trust that holds against the fund manager).
    deal = jardins()
    programme_vary(
        programme=deal.programme,
        kind="price_change",
        effective_date=JULY_1,
        reason="Agreed at the mid-term review",
        parameters={"metric": "training", "price": 1_000 * EUR},
        actor=deal.manager,
    )
    funder = User.objects.create(username="jardins-funder")
    sib_services.membership_add(
        programme=deal.programme,
        user=funder,
        role="public_funder",
        organisation=deal.programme.parties.get(organisation__slug="etat").organisation,
    )
    client = APIClient()
    url = f"/api/programmes/{deal.programme.pk}/variations/"
    client.force_authenticate(funder)
    listed = client.get(url)
    assert listed.status_code == 200, listed.content
    [variation] = listed.json()["results"]
    assert variation["kind"] == "price_change" and variation["effective_date"] == "2026-07-01"
    assert variation["parameters"] == {"metric": "training", "price": 100_000}
    client.force_authenticate(deal.evaluator)
    assert client.get(url).status_code in (403, 404)
