"""Before a result counts, its page and the submit page say what verifying it would pay:
the change in what each payer owes, under the contract's rules and caps, read by the
same engine the booking runs; and they warn when the cell already holds a verified
result. Looking writes nothing.

The deal: a rate card at 800.00 per outcome, paid 70 % by the State and 30 % by the
département (tests.payments.schedule_support.Deal), one cohort, one period.
"""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from outcomes import services as outcome_services
from outcomes.models import Result
from payments.models import (
    Account,
    LedgerTransaction,
    Leg,
    OutcomePaymentLine,
    ScheduleVersion,
    StatementVersion,
)
from payments.position import programme_position
from sib.models import ChainEntry, OutboxMessage, User
from sib.money import format_money
from tests.payments.schedule_support import D, Deal

pytestmark = pytest.mark.django_db

PRICE = 80_000  # 800.00 per outcome, in cents


def deal(*, cap: int | None = 150_000_000, **metric: Any) -> Deal:
    d = Deal("preview", contract_cap=cap).cohort("c1", 100)
    d.period("2026", D(2026, 1, 1), D(2026, 12, 31))
    return d.metric("training", {"kind": "rate_card", "price": PRICE}, **metric)


def en(minor: int) -> str:
    return format_money(minor, "EUR", "en")


def page(user: User, url: str, language: str = "en", data: dict[str, Any] | None = None) -> str:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(url) if data is None else client.post(url, data)
    assert response.status_code == 200
    return response.content.decode()


def result_page(d: Deal, result: Result, language: str = "en", user: User | None = None) -> str:
    url = reverse("outcomes_portal:result-detail", args=[d.programme.pk, result.pk])
    return page(user or d.manager, url, language)


def change_by_payer(html: str) -> dict[str, str]:
    rows = re.findall(r'<tr data-payer="([^"]+)".*?data-figure="change">([^<]+)<', html, flags=re.S)
    return dict(rows)


def test_verifying_12_outcomes_at_800_shows_9600_due_split_70_30():
    """12 x 800.00 = 9,600.00; the State 70 % = 6,720.00, the département 30 % = 2,880.00."""
    d = deal()
    result = d.result("training", "c1", "2026", 12, verify=False, stage="interim")
    html = result_page(d, result)
    assert "What verifying this result would pay" in html
    assert f'data-figure="total_change">{en(960_000)}<' in html
    assert change_by_payer(html) == {"etat": en(672_000), "departement-13": en(288_000)}
    assert "data-cell-warning" not in html  # the cell holds nothing else
    assert "data-caps" not in html  # no cap is reached


def test_the_preview_is_what_verifying_books():
    d = deal()
    result = d.result("training", "c1", "2026", 12, verify=False, stage="interim")
    shown = dict(re.findall(r'data-payer="([^"]+)" data-due-after="(\d+)"', result_page(d, result)))
    _verify(d, result)
    booked = {p.payer: p.due for p in programme_position(programme=d.programme).payers}
    assert (
        {payer: int(due) for payer, due in shown.items()}
        == booked
        == {
            "etat": 672_000,
            "departement-13": 288_000,
        }
    )


def _verify(d: Deal, result: Result) -> None:
    outcome_services.result_verify(result=result, user=d.lead)


def test_a_second_verified_interim_for_the_same_cell_shows_the_warning_and_adds_up():
    """Interim 12 verified (9,600.00 due); a second interim of 3, declared additional,
    adds 3 x 800.00 = 2,400.00: both count."""
    d = deal()
    first = d.result("training", "c1", "2026", 12, stage="interim")
    second = d.result(
        "training",
        "c1",
        "2026",
        3,
        verify=False,
        stage="interim",
        additional=True,
        additional_reason="a second site",
    )
    html = result_page(d, second)
    assert "data-cell-warning" in html
    assert "A verified result already exists for this cell" in html
    assert f'data-in-cell="{first.pk}" data-effect="adds"' in html
    assert "Both count for payment: this one adds to it." in html
    assert f'data-figure="total_change">{en(240_000)}<' in html


def test_a_final_after_a_verified_interim_pays_only_the_difference():
    """Interim 12 verified; the final of 25 replaces it: (25 - 12) x 800.00 = 10,400.00
    more, not 25 x 800.00 (the interim 12 and the final 25 are never paid as 37)."""
    d = deal()
    interim = d.result("training", "c1", "2026", 12, stage="interim")
    final = d.result("training", "c1", "2026", 25, verify=False, stage="final")
    html = result_page(d, final)
    assert f'data-in-cell="{interim.pk}" data-effect="replaces"' in html
    assert "This final result replaces it for payment" in html
    assert f'data-figure="total_change">{en(1_040_000)}<' in html


def test_the_contract_cap_that_cuts_the_result_is_named_with_what_it_holds_back():
    """Cap 10,000.00; 10 verified = 8,000.00 due. 5 more are priced 4,000.00, of which
    2,000.00 fit under the cap: 2,000.00 more due, 2,000.00 not paid."""
    d = deal(cap=1_000_000)
    d.result("training", "c1", "2026", 10, stage="interim")
    more = d.result("training", "c1", "2026", 5, verify=False, stage="interim", **_additional())
    html = result_page(d, more)
    assert f'data-figure="total_change">{en(200_000)}<' in html
    assert re.search(
        rf'data-cap="contract_cap">Contract cap on outcome payments: {re.escape(en(200_000))} '
        r"not paid<",
        html,
    )


def test_the_metric_count_cap_is_named_with_its_metric():
    """At most 15 outcomes paid for the metric; 12 verified, 5 more: 3 paid (2,400.00),
    2 not (1,600.00)."""
    d = deal(max_count=15)
    d.result("training", "c1", "2026", 12, stage="interim")
    more = d.result("training", "c1", "2026", 5, verify=False, stage="interim", **_additional())
    html = result_page(d, more, "fr")
    assert 'data-figure="total_change">2\u202f400,00\u00a0€<' in html
    cap = re.search(r'<li data-cap="metric_count_cap" data-metric="training">(.*?)</li>', html)
    assert cap is not None
    assert "Plafond du nombre de résultats payés pour l’indicateur" in cap.group(1)
    assert "1\u202f600,00\u00a0€ non payés" in cap.group(1)
    assert "Plafonds qui le réduisent" in html


def _additional() -> dict[str, Any]:
    return {"additional": True, "additional_reason": "a second site"}


def test_the_result_page_reads_in_french():
    d = deal()
    d.result("training", "c1", "2026", 12, stage="interim")
    second = d.result("training", "c1", "2026", 3, verify=False, stage="interim", **_additional())
    html = result_page(d, second, "fr")
    assert "Ce que vérifier ce résultat paierait" in html
    assert "Un résultat vérifié existe déjà pour cette case" in html
    assert "What verifying" not in html and "already exists" not in html


def test_evaluators_see_no_money_and_a_verified_result_shows_no_preview():
    """The evaluators measure and verify independently of what outcomes pay (DOMAIN.md):
    neither the submitter nor the lead sees the payers' figures."""
    d = deal()
    result = d.result("training", "c1", "2026", 12, verify=False, stage="interim")
    assert "data-pay-preview" in result_page(d, result)
    for evaluator in (d.evaluator, d.lead):
        html = result_page(d, result, user=evaluator)
        assert "data-pay-preview" not in html and "data-payer" not in html
    _verify(d, result)
    assert "data-pay-preview" not in result_page(d, result)


def _submit_form(d: Deal, **fields: str) -> dict[str, Any]:
    return {
        "metric": d.metrics["training"].pk,
        "cohort": d.cohorts["c1"].pk,
        "period": d.periods["2026"].pk,
        "stage": "interim",
        "value": "12",
        **fields,
    }


def _submit_url(d: Deal) -> str:
    return reverse("outcomes_portal:result-submit", args=[d.programme.pk])


def test_the_submit_page_shows_the_evaluator_no_money():
    d = deal()
    html = page(d.evaluator, _submit_url(d))
    assert "data-pay-preview" not in html and "data-preview-button" not in html


def test_a_second_interim_on_the_submit_page_is_refused_and_makes_nothing():
    d = deal()
    first = d.result("training", "c1", "2026", 12, stage="interim")
    html = page(d.evaluator, _submit_url(d), data=_submit_form(d))
    assert f"Result #{first.pk} (interim) already exists" in html
    assert "data-pay-preview" not in html
    assert Result.objects.filter(programme=d.programme).count() == 1


def test_the_submit_page_warns_of_a_declared_additional_interim_and_makes_nothing_yet():
    d = deal()
    first = d.result("training", "c1", "2026", 12, stage="interim")
    fields = {"value": "3", "additional": "on", "additional_reason": "site B"}
    html = page(d.evaluator, _submit_url(d), "fr", data=_submit_form(d, **fields))
    assert f'data-in-cell="{first.pk}" data-effect="adds"' in html
    assert "data-pay-preview" not in html
    assert 'name="confirmed" value="on"' in html  # seen: the next post makes it
    assert Result.objects.filter(programme=d.programme).count() == 1


WRITTEN = (
    LedgerTransaction,
    Leg,
    Account,
    OutcomePaymentLine,
    ScheduleVersion,
    StatementVersion,
    ChainEntry,
    OutboxMessage,
    Result,
)


def _rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WRITTEN}


def test_looking_at_what_a_result_would_pay_writes_no_ledger_or_schedule_row():
    d = deal(cap=1_000_000)
    d.result("training", "c1", "2026", 10, stage="interim")
    more = d.result("training", "c1", "2026", 5, verify=False, stage="interim", **_additional())
    before = _rows()
    assert before["LedgerTransaction"] > 0  # the first verification was booked
    result_page(d, more)
    confirm = reverse("outcomes_portal:result-detail", args=[d.programme.pk, more.pk])
    page(d.lead, confirm, data={"action": "verify", "verify-comment": ""})
    fields = {"value": "4", "additional": "on", "additional_reason": "site C"}
    page(d.evaluator, _submit_url(d), data=_submit_form(d, **fields))
    assert _rows() == before
