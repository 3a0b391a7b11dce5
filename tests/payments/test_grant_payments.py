"""A period switched to grant payments: recorded, refused, restated, scheduled, reported.

The deal: one payer, the State (100 %); periods are half-years, 2026-H1 and 2026-H2;
training pays 800 € an entry, work at 6 months 3 000 € a person; a senior loan of
100 000 € drawn on 1 January 2026. Amounts are cents.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from payments.models import OutcomePaymentLine, ProgrammeVariation
from payments.position import programme_position
from payments.schedule_builder import schedule_document
from payments.schedules import programme_recompute
from payments.variations import CHAIN_KIND, programme_vary
from reports.notices import notice_data
from reports.selectors.state import chain_state
from reports.services import report_render
from sib.chain_verification import chain_verify
from sib.models import ChainEntry, Organisation
from tests.payments.schedule_support import D, Deal
from tests.reports.support import money, pdf_text

pytestmark = pytest.mark.django_db
EUR = 100
JULY_1 = D(2026, 7, 1)
GRANT = {"periods": ["2026-H2"], "amount": 50_000 * EUR}


def half_years(slug: str = "grant") -> Deal:
    deal = Deal(slug, payers=(("etat", "100"),), contract_cap=None)
    deal.cohort("c1", 100)
    for year in range(2026, 2031):
        deal.period(f"{year}-H1", D(year, 1, 1), D(year, 6, 30))
        deal.period(f"{year}-H2", D(year, 7, 1), D(year, 12, 31))
    deal.metric("training", {"kind": "rate_card", "price": 80_000})
    deal.metric("work-6m", {"kind": "rate_card", "price": 300_000})
    deal.tranche("senior", "senior_loan", 1, cap=("annual_rate", "0.05"))
    deal.commit("senior", "banque-solidaire", 10_000_000)
    deal.draw("senior", "banque-solidaire", D(2026, 1, 1), 10_000_000)
    deal.terms(
        [{"kind": "principal", "tranche": "senior"}, {"kind": "return", "tranche": "senior"}]
    )
    return deal


def results(deal: Deal) -> None:
    """5 entries into training in May (H1): 4 000 €; 14 people in work in September (H2):
    14 × 3 000 = 42 000 €."""
    deal.participants("training", "c1", "2026-H1", [(f"m{i}", D(2026, 5, 10)) for i in range(5)])
    deal.participants("work-6m", "c1", "2026-H2", [(f"s{i}", D(2026, 9, 10)) for i in range(14)])


def switch(deal: Deal, **changes: object) -> ProgrammeVariation:
    arguments = {
        "kind": "grant_payments",
        "effective_date": JULY_1,
        "reason": "Fixed grant while the sites are closed",
        "parameters": GRANT,
        **changes,
    }
    return programme_vary(programme=deal.programme, actor=deal.manager, **arguments)  # type: ignore[arg-type]


def due(deal: Deal) -> int:
    return programme_position(programme=deal.programme).payer("etat").due


def test_switching_a_period_whose_results_are_verified_restates_what_the_state_owes():
    """Before: 4 000 + 42 000 = 46 000 € owed. 2026-H2 switched to a 50 000 € grant from
    1 July: its results (42 000 €) pay 0 and are listed, reason grant_payments; the State
    owes 4 000 + 50 000 = 54 000 €, restated in the ledger (+8 000 €)."""
    deal = half_years()
    results(deal)
    assert due(deal) == 46_000 * EUR

    variation = switch(deal)

    assert due(deal) == 54_000 * EUR
    plan = schedule_document(programme=deal.programme)["outcome_payments"]
    assert plan["total"] == 54_000 * EUR
    assert [(n["reason"], n["period"], n["count"], n["amount"]) for n in plan["not_payable"]] == [
        ("grant_payments", "2026-H2", 14, 42_000 * EUR)
    ]
    assert [(line["metric"], line["period"], line["amount"]) for line in plan["lines"]] == [
        ("", "2026-H2", 50_000 * EUR),
        ("training", "2026-H1", 4_000 * EUR),
    ]
    assert plan["period_totals"] == {"2026-H1": 4_000 * EUR, "2026-H2": 50_000 * EUR}
    assert plan["cohort_totals"] == {"c1": 4_000 * EUR}  # a grant pays for no cohort
    assert ChainEntry.objects.filter(kind=CHAIN_KIND, object_id=str(variation.pk)).exists()
    assert chain_verify(programme_id=deal.programme.pk).ok


def test_a_switch_below_what_the_state_paid_leaves_it_in_credit():
    """The State paid the 46 000 € its results made it owe; 2026-H2 then switched to a
    30 000 € grant: it owes 4 000 + 30 000 = 34 000 €, 12 000 € in its credit."""
    deal = half_years()
    results(deal)
    deal.receive("etat", 46_000 * EUR, D(2026, 10, 1))
    switch(deal, parameters={"periods": ["2026-H2"], "amount": 30_000 * EUR})
    position = programme_position(programme=deal.programme).payer("etat")
    assert (position.due, position.received) == (34_000 * EUR, 46_000 * EUR)
    assert position.outstanding == -12_000 * EUR


def test_results_verified_after_the_switch_pay_nothing_and_the_grant_is_unchanged():
    """Switched first, results verified afterwards: still 4 000 + 50 000 = 54 000 €."""
    deal = half_years()
    switch(deal)
    assert due(deal) == 50_000 * EUR
    results(deal)
    assert due(deal) == 54_000 * EUR


def test_a_projection_receives_the_grant_at_the_periods_end_and_the_waterfall_shares_it():
    """At 0 % of targets no result is forecast; the grant of 2026-H2 (50 000 €) is still
    received on the period's end, 31 December 2026, and goes to the senior loan."""
    deal = half_years()
    switch(deal)
    document = schedule_document(programme=deal.programme, percent=0)
    assert document["outcome_payments"]["total"] == 50_000 * EUR
    senior = [line for line in document["schedule"]["lines"] if line["on"] == "2026-12-31"]
    assert sum(line["proposed_principal_repayment"] for line in senior) == 50_000 * EUR


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"periods": ["2031-H1"], "amount": 100}, "parameters.periods[0]"),
        ({"periods": ["2026-H2", "2026-H2"], "amount": 100}, "parameters.periods[1]"),
        ({"periods": [], "amount": 100}, "parameters.periods"),
        ({"periods": "2026-H2", "amount": 100}, "parameters.periods"),
        ({"periods": ["2026-H2"], "amount": 0}, "parameters.amount"),
        ({"periods": ["2026-H2"], "amount": -5}, "parameters.amount"),
        ({"periods": ["2026-H2"], "amount": 100.5}, "parameters.amount"),
        ({"periods": ["2026-H2"], "amount": True}, "parameters.amount"),
        ({"periods": ["2026-H2"]}, "parameters.amount"),
        ({"periods": ["2026-H2"], "amount": 100, "cohort": "c1"}, "parameters.cohort"),
    ],
)
def test_a_switch_the_contract_does_not_allow_is_refused_naming_the_field(parameters, field):
    deal = half_years()
    with pytest.raises(ValidationError) as refused:
        switch(deal, parameters=parameters)
    assert field in refused.value.message_dict
    assert not ProgrammeVariation.objects.exists()


def test_a_period_already_switched_is_not_switched_again():
    deal = half_years()
    switch(deal)
    with pytest.raises(ValidationError) as refused:
        switch(deal, parameters={"periods": ["2027-H1", "2026-H2"], "amount": 100})
    assert list(refused.value.message_dict) == ["parameters.periods[1]"]
    assert ProgrammeVariation.objects.count() == 1


@pytest.mark.parametrize(
    "parameters",
    [
        {"periods": ["2026-H2"]},
        {"periods": [], "amount": 100},
        {"periods": "2026-H2", "amount": 100},
        {"periods": ["2026-H2"], "amount": 0},
        {"periods": ["2026-H2"], "amount": 100.5},
        {"periods": ["2026-H2"], "amount": "100"},
    ],
)
def test_the_database_refuses_a_grant_without_periods_or_a_whole_positive_amount(parameters):
    deal = half_years()
    with pytest.raises(IntegrityError, match="variation_"), transaction.atomic():
        ProgrammeVariation.objects.create(
            programme=deal.programme,
            kind="grant_payments",
            effective_date=JULY_1,
            reason="Grant",
            parameters=parameters,
        )


def test_the_database_keeps_a_grant_with_its_periods_and_amount():
    deal = half_years()
    with transaction.atomic():
        ProgrammeVariation.objects.create(
            programme=deal.programme,
            kind="grant_payments",
            effective_date=JULY_1,
            reason="Grant",
            parameters=GRANT,
        )
        # Rolled back: a variation written outside programme_vary has no chain entry.
        transaction.set_rollback(True)


def test_the_fund_manager_switches_a_period_through_the_api_and_an_error_names_the_path():
    deal = half_years()
    client = APIClient()
    client.force_authenticate(deal.manager)
    url = f"/api/programmes/{deal.programme.pk}/variations/"
    body = {
        "kind": "grant_payments",
        "effective_date": "2026-07-01",
        "reason": "Fixed grant while the sites are closed",
        "parameters": {"periods": ["2099-H1"], "amount": 5_000_000},
    }
    refused = client.post(f"{url}create/", body, format="json")
    assert refused.status_code == 400
    assert "parameters.periods[0]" in str(refused.json())
    body["parameters"] = GRANT
    created = client.post(f"{url}create/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["kind"] == "grant_payments"
    assert created.json()["parameters"] == GRANT
    assert due(deal) == 50_000 * EUR


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["Switch to grant payments", "2026-H2: a grant of", "a period"]),
        (
            "fr",
            [
                "Passage à une subvention forfaitaire",
                "2026-H2\u00a0: une subvention de",
                "par période",
            ],
        ),
    ],
)
def test_the_manager_report_names_the_switch_and_the_grant(lang, expected):

    deal = half_years()
    switch(deal)
    flat = " ".join(
        pdf_text(report_render(programme=deal.programme, edition="manager", language=lang)).split()
    )
    for text in [*expected, money(50_000 * EUR, lang)]:
        assert " ".join(text.split()) in flat, text


def test_a_switch_dated_on_a_day_is_in_force_for_the_whole_period():
    """Switched from 1 October (within 2026-H2): the September results of the period pay
    nothing either; the grant replaces the period's outcome payments as a whole."""
    deal = half_years()
    results(deal)
    switch(deal, effective_date=date(2026, 10, 1))
    assert due(deal) == 54_000 * EUR


@pytest.mark.parametrize(
    ("lang", "named"), [("en", "Grant for the period"), ("fr", "Subvention de la période")]
)
def test_the_states_notice_lists_the_grant_from_its_effective_date_and_adds_up(lang, named):
    """The State's notice: the grant of 2026-H2 (50 000 €, dated on the switch, 1 July:
    the oldest due, settled first) and May's training line (4 000 €, dated on its
    verification), adding up to the 54 000 € due."""

    deal = half_years()
    results(deal)
    switch(deal)
    etat = Organisation.objects.get(slug="etat")
    data = notice_data(
        programme=deal.programme,
        payer=etat,
        language=lang,
        state=chain_state(programme=deal.programme),
    )
    first = data.lines[0]
    assert (first.metric, first.verified_on, first.amount) == (named, JULY_1, 50_000 * EUR)
    assert sum(line.amount for line in data.lines) == 54_000 * EUR
    pdf = report_render(programme=deal.programme, edition="payer_notice", language=lang, payer=etat)
    assert named in " ".join(pdf_text(pdf).split())


def test_the_portal_names_the_grants_line():

    deal = half_years()
    switch(deal)
    client = Client()
    client.force_login(deal.manager)
    page = client.get(reverse("payments_portal:outcome-payments", args=[deal.programme.pk]))
    assert page.status_code == 200
    assert "Subvention de la période" in page.content.decode()


def test_the_recompute_stores_the_grants_line_with_the_actual_schedule():
    """The stored lines of the actual schedule: May's 4 000 € and the grant's 50 000 €."""

    deal = half_years()
    results(deal)
    switch(deal)
    programme_recompute(programme_id=deal.programme.pk, projections=())
    stored = OutcomePaymentLine.objects.filter(programme=deal.programme)
    assert sorted(stored.values_list("metric", "period", "amount")) == [
        ("", "2026-H2", 50_000 * EUR),
        ("training", "2026-H1", 4_000 * EUR),
    ]
