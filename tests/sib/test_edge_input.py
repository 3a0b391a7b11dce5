"""Hostile input at the edge of the API: every refusal is a 400/413 problem, never a 500.

Reproductions from issue 17 ("5xx" and "Accepted silently"): integers with no upper
bound, NUL characters stored before validation, JSON nested 100,000 deep, a 5 MB body.
"""

import json
from datetime import date

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from payments import services
from payments.models import Commitment, Drawdown, LedgerTransaction, Tranche
from sib.models import IdempotencyRecord
from tests.payments.ledger_support import Deal, make_deal

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture
def deal() -> Deal:
    return make_deal("edge")


def _client(deal: Deal) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(deal.manager)
    return client


def _raw(client: APIClient, url: str, body: str | bytes, **extra: str):  # type: ignore[no-untyped-def]
    return client.generic("POST", url, body, content_type="application/json", **extra)


def _fields(response) -> set[str]:  # type: ignore[no-untyped-def]
    assert response["Content-Type"] == PROBLEM, response.content[:300]
    return {error["field"] for error in response.json().get("errors", [])}


def _url(deal: Deal, tail: str) -> str:
    return f"/api/programmes/{deal.programme.pk}/{tail}"


# --- integers with no upper bound ---------------------------------------------------------


def test_an_amount_of_2_to_the_70_on_a_payment_received_is_a_400_naming_amount(deal):
    response = _client(deal).post(
        _url(deal, "payments-received/create/"),
        {"payer": deal.payer.slug, "received_on": "2026-03-01", "amount": 2**70},
        format="json",
        HTTP_IDEMPOTENCY_KEY="big-1",
    )
    assert response.status_code == 400
    assert _fields(response) == {"amount"}
    assert not LedgerTransaction.objects.filter(kind="payment_received").exists()


def test_an_amount_of_2_to_the_70_on_a_commitment_is_a_400_naming_amount(deal):
    response = _client(deal).post(
        _url(deal, "commitments/create/"),
        {
            "tranche": "senior",
            "investor": deal.investor.slug,
            "amount": 2**70,
            "committed_on": "2026-01-02",
        },
        format="json",
    )
    assert response.status_code == 400
    assert _fields(response) == {"amount"}


def test_a_cover_limit_of_2_to_the_70_is_a_400_naming_cover_limit(deal):
    response = _client(deal).post(
        _url(deal, "tranches/create/"),
        {
            "key": "guarantee",
            "name": "Guarantee",
            "kind": "guarantee",
            "priority": 9,
            "protects": "senior",
            "cover_limit": 2**70,
        },
        format="json",
    )
    assert response.status_code == 400
    assert _fields(response) == {"cover_limit"}
    assert not Tranche.objects.filter(key="guarantee").exists()


def test_an_amount_just_over_ten_to_the_fifteen_is_refused_with_the_bound(deal):
    response = _client(deal).post(
        _url(deal, "commitments/create/"),
        {
            "tranche": "senior",
            "investor": deal.investor.slug,
            "amount": 10**15 + 1,
            "committed_on": "2026-01-02",
        },
        format="json",
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "amount"
    assert "1000000000000000" in error["message"] or "1,000,000,000,000,000" in error["message"]


def test_an_amount_sent_as_a_json_float_is_refused(deal):
    response = _raw(
        _client(deal),
        _url(deal, "drawdowns/create/"),
        f'{{"commitment": {deal.commitment.pk}, "called_on": "2026-02-01", "amount": 1000.0}}',
        HTTP_IDEMPOTENCY_KEY="float-1",
    )
    assert response.status_code == 400
    assert _fields(response) == {"amount"}
    assert not Drawdown.objects.exists()


# --- NUL and control characters -----------------------------------------------------------


@pytest.mark.parametrize("field", ["called_on", "amount", "commitment"])
def test_a_nul_anywhere_in_a_drawdown_body_is_a_400_and_nothing_is_stored(deal, field):
    body = {"commitment": deal.commitment.pk, "called_on": "2026-02-01", "amount": 700}
    body[field] = f"{body[field]}\u0000"
    response = _raw(
        _client(deal), _url(deal, "drawdowns/create/"), json.dumps(body), HTTP_IDEMPOTENCY_KEY="n1"
    )
    assert response.status_code == 400
    assert _fields(response) == {field}
    assert "U+0000" in response.json()["errors"][0]["message"]
    assert not IdempotencyRecord.objects.exists()
    assert not Drawdown.objects.exists()


def test_a_nul_in_a_payment_description_is_a_400(deal):
    body = {
        "payer": deal.payer.slug,
        "received_on": "2026-03-01",
        "amount": 5,
        "description": "a\x00",
    }
    response = _raw(
        _client(deal),
        _url(deal, "payments-received/create/"),
        json.dumps(body),
        HTTP_IDEMPOTENCY_KEY="n2",
    )
    assert response.status_code == 400
    assert _fields(response) == {"description"}


def _drawdown(deal: Deal) -> LedgerTransaction:
    drawdown = services.drawdown_record(
        commitment=Commitment.objects.get(pk=deal.commitment.pk),
        called_on=date(2026, 2, 1),
        amount=100,
        actor=deal.manager,
    )
    return drawdown.transaction


def test_a_nul_in_a_reversal_reason_is_a_400(deal):
    tx = _drawdown(deal)
    response = _raw(
        _client(deal),
        _url(deal, f"ledger/transactions/{tx.pk}/reverse/"),
        json.dumps({"reason": "typo\u0000"}),
        HTTP_IDEMPOTENCY_KEY="n3",
    )
    assert response.status_code == 400
    assert _fields(response) == {"reason"}
    assert not LedgerTransaction.objects.filter(reverses=tx).exists()


def test_a_nul_in_a_json_key_on_a_reversal_is_a_400_naming_the_key(deal):
    tx = _drawdown(deal)
    response = _raw(
        _client(deal),
        _url(deal, f"ledger/transactions/{tx.pk}/reverse/"),
        '{"reason": "typo", "re\\u0000ason": "x"}',
        HTTP_IDEMPOTENCY_KEY="n4",
    )
    assert response.status_code == 400
    assert _fields(response) == {"re?ason"}
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("character", ["\x01", "\x1b", "\x7f", "\ud800"])
def test_other_control_characters_are_refused_too(deal, character):
    body = {"payer": deal.payer.slug, "received_on": "2026-03-01", "amount": 5}
    body["description"] = f"paid{character}"
    text = json.dumps(body)  # escapes every one of them as \uXXXX
    response = _raw(
        _client(deal), _url(deal, "payments-received/create/"), text, HTTP_IDEMPOTENCY_KEY="c1"
    )
    assert response.status_code == 400
    assert _fields(response) == {"description"}


def test_tabs_and_new_lines_in_free_text_are_kept(deal):
    tx = _drawdown(deal)
    response = _client(deal).post(
        _url(deal, f"ledger/transactions/{tx.pk}/reverse/"),
        {"reason": "Wrong amount:\n\tcalled twice."},
        format="json",
        HTTP_IDEMPOTENCY_KEY="ok-1",
    )
    assert response.status_code == 201
    assert response.json()["reason"] == "Wrong amount:\n\tcalled twice."


# --- depth and size -----------------------------------------------------------------------


def test_json_nested_100000_deep_is_a_400_not_a_recursion_error(deal):
    response = _raw(
        _client(deal),
        _url(deal, "drawdowns/create/"),
        "[" * 100_000 + "]" * 100_000,
        HTTP_IDEMPOTENCY_KEY="deep-1",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert "nested deeper" in json.dumps(response.json())


def test_brackets_inside_strings_do_not_count_as_depth(deal):
    tx = _drawdown(deal)
    response = _client(deal).post(
        _url(deal, f"ledger/transactions/{tx.pk}/reverse/"),
        {"reason": "[" * 1000},
        format="json",
        HTTP_IDEMPOTENCY_KEY="deep-2",
    )
    assert response.status_code == 201


def test_a_5_mb_body_is_a_413_problem_not_an_html_400(deal):
    body = json.dumps({"reason": "x" * (5 * 1024 * 1024)})
    response = _raw(
        _client(deal), _url(deal, "ledger/transactions/1/reverse/"), body, HTTP_IDEMPOTENCY_KEY="b"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert "1,048,576" in response.json()["detail"]


def test_the_body_limit_is_a_setting(deal, settings):
    settings.SIB_MAX_BODY_BYTES = 100
    response = _client(deal).post(
        _url(deal, "drawdowns/create/"),
        {"commitment": deal.commitment.pk, "called_on": "2026-02-01", "amount": 1, "pad": "x" * 99},
        format="json",
        HTTP_IDEMPOTENCY_KEY="small",
    )
    assert response.status_code == 413


def test_a_body_larger_than_its_content_length_says_is_still_refused(deal, settings):
    from rest_framework.test import APIRequestFactory

    from sib.api.parsers import JSONParser, PayloadTooLarge

    settings.SIB_MAX_BODY_BYTES = 10
    request = APIRequestFactory().post("/", {"a": "x" * 50}, format="json")
    with pytest.raises(PayloadTooLarge):
        JSONParser().parse(request, "application/json", {"request": request})


# --- the outcomes API ---------------------------------------------------------------------


def _metric(deal: Deal, mechanism: dict, code: str = "m1") -> dict:  # type: ignore[type-arg]
    return {
        "code": code,
        "name": "Metric",
        "definition": "A definition.",
        "unit": "participant_outcome",
        "mechanism": mechanism,
        "cohorts": ["c1"],
        "periods": ["p1"],
    }


@pytest.fixture
def cells(deal):
    from outcomes import services as outcome_services

    outcome_services.cohort_create(programme=deal.programme, code="c1", name="C1", planned_size=100)
    outcome_services.period_create(
        programme=deal.programme,
        code="p1",
        name="P1",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    return deal


def test_a_metric_price_of_2_to_the_70_is_refused(cells):
    response = _client(cells).post(
        _url(cells, "metrics/create/"),
        _metric(cells, {"kind": "rate_card", "price": 2**70}),
        format="json",
    )
    assert response.status_code == 400
    assert _fields(response) == {"mechanism.price"}


def test_a_metric_price_just_over_the_money_bound_is_refused_by_the_rules(cells):
    response = _client(cells).post(
        _url(cells, "metrics/create/"),
        _metric(cells, {"kind": "rate_card", "price": 10**15 + 1}),
        format="json",
    )
    assert response.status_code == 400
    assert _fields(response) == {"mechanism.price"}


def test_a_threshold_written_1e30_is_refused(cells):
    from outcomes.metrics_validation import metric_mechanism_errors

    with translation.override("en"):
        errors = metric_mechanism_errors(
            code="m",
            mechanism={
                "kind": "comparison",
                "direction": "higher_is_better",
                "cohorts": ["c1"],
                "cohort_threshold": "1e30",
                "pooled_threshold": "0.075",
                "price_per_point": 100,
            },
            cohort_codes=["c1"],
        )
    assert [path for path, _ in errors] == ["mechanism.cohort_threshold"]
    assert "too large" in errors[0][1]


def test_a_planned_size_of_2_to_the_40_is_refused(cells):
    response = _client(cells).post(
        _url(cells, "cohorts/create/"),
        {"code": "c9", "name": "C9", "planned_size": 2**40},
        format="json",
    )
    assert response.status_code == 400
    assert _fields(response) == {"planned_size"}


# --- filters with unknown values ----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [("account=bogus", "account"), ("date_from=bogus", "date_from")],
)
def test_a_ledger_filter_with_an_unknown_value_is_a_400(deal, query, field):
    response = _client(deal).get(_url(deal, f"ledger/transactions/?{query}"))
    assert response.status_code == 400
    assert _fields(response) == {field}


def test_a_known_account_filter_still_filters(deal):
    _drawdown(deal)
    response = _client(deal).get(_url(deal, "ledger/transactions/?account=cash"))
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 1


def test_a_statement_for_an_unknown_investor_is_a_400_not_an_empty_statement(deal):
    response = _client(deal).get(_url(deal, "statement/?investor=bogus"))
    assert response.status_code == 400
    assert _fields(response) == {"investor"}


@pytest.mark.parametrize(
    "query",
    ["statement/?investor=%00", "ledger/transactions/?account=a%00b", "results/?state=%01"],
)
def test_a_control_character_in_a_query_is_a_400_problem(deal, query):
    response = _client(deal).get(_url(deal, query))
    assert response.status_code == 400
    assert len(_fields(response)) == 1


def test_a_control_character_in_a_query_key_is_named_safely(deal):
    response = _client(deal).get(_url(deal, "results/?st%00ate=x"))
    assert _fields(response) == {"st?ate"}


def test_a_control_character_in_a_portal_query_is_a_400_page(deal):
    from django.test import Client

    client = Client()
    client.force_login(deal.manager)
    response = client.get(f"/programmes/{deal.programme.pk}/?x=%00")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_an_idempotency_key_with_a_control_character_is_a_400(deal):
    response = _client(deal).post(
        _url(deal, "drawdowns/create/"),
        {"commitment": deal.commitment.pk, "called_on": "2026-02-01", "amount": 5},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k\x00",
    )
    assert response.status_code == 400
    assert _fields(response) == {"Idempotency-Key"}
    assert not IdempotencyRecord.objects.exists()
