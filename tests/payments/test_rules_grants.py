"""A period switched to grant payments, in the rules engine, worked by hand.

The demo rate card (tests/payments/test_rules_rate_card.py): training 800 €, work at 6
months 3 000 €, the State 70 %, the département 30 %. Amounts are cents. Periods are
half-years here: 2026-H1 (January to June) and 2026-H2 (July to December).
"""

from __future__ import annotations

from datetime import date

from payments.rules import NotPayableReason, compute_outcome_payments
from payments.rules.programme import GRANT_METRIC
from payments.rules.rate_card import ParticipantOutcome
from payments.rules.variations import Variations
from tests.payments.test_rules_rate_card import EUR, demo_rules

MAY, JULY_1, SEPTEMBER = date(2026, 5, 15), date(2026, 7, 1), date(2026, 9, 10)


def grant(periods: list[str], amount: int, on: date = JULY_1) -> Variations:
    return Variations.from_terms(
        [
            {
                "kind": "grant_payments",
                "effective_date": on.isoformat(),
                "parameters": {"periods": periods, "amount": amount},
            }
        ]
    )


def half_year(on: date) -> str:
    return f"{on.year}-H{1 if on.month <= 6 else 2}"


def outcomes(metric: str, days: list[date], first: int = 0) -> list[ParticipantOutcome]:
    return [
        ParticipantOutcome(f"{metric}-{i}", f"p{i}", metric, "c1", half_year(on), on)
        for i, on in enumerate(days, start=first)
    ]


def deal() -> list[ParticipantOutcome]:
    """5 entries into training in May (2026-H1) and 14 people in work at 6 months in
    September (2026-H2): 5 × 800 = 4 000 € and 14 × 3 000 = 42 000 €."""
    return outcomes("training", [MAY] * 5) + outcomes("work_6m", [SEPTEMBER] * 14, first=5)


def test_a_switched_period_pays_its_grant_and_its_results_pay_nothing() -> None:
    """2026-H2 switched to a 50 000 € grant from 1 July.

    - H1 (not switched): 5 × 800 = 4 000 €, State 2 800 €, département 1 200 €.
    - H2's 14 outcomes would have paid 14 × 3 000 = 42 000 €: not payable, reason
      grant_payments, listed with that amount.
    - The grant: 50 000 €, split 70/30 = State 35 000 €, département 15 000 €.
    Total owed 4 000 + 50 000 = 54 000 €: State 37 800 €, département 16 200 €.
    """
    plan = compute_outcome_payments(
        rules=demo_rules(), participant_outcomes=deal(), variations=grant(["2026-H2"], 50_000 * EUR)
    )
    [stopped] = plan.not_payable
    assert (stopped.reason, stopped.period, stopped.count, stopped.amount) == (
        NotPayableReason.GRANT_PAYMENTS,
        "2026-H2",
        14,
        42_000 * EUR,
    )
    [paid] = [line for line in plan.lines if line.metric == GRANT_METRIC]
    assert (paid.period, paid.count, paid.result_ids, paid.amount) == ("2026-H2", 0, (), 5_000_000)
    assert [(p.payer, p.amount) for p in paid.payers] == [
        ("state", 35_000 * EUR),
        ("departement", 15_000 * EUR),
    ]
    assert plan.total == 54_000 * EUR
    assert [(p.payer, p.amount) for p in plan.payer_totals] == [
        ("state", 37_800 * EUR),
        ("departement", 16_200 * EUR),
    ]
    assert plan.metric_totals == {"training": 4_000 * EUR, "work_6m": 0, "work_12m": 0}


def test_without_the_switch_the_same_results_pay_by_results() -> None:
    """The same deal unvaried: 4 000 + 42 000 = 46 000 €."""
    plan = compute_outcome_payments(rules=demo_rules(), participant_outcomes=deal())
    assert plan.total == 46_000 * EUR
    assert not plan.not_payable


def test_each_period_switched_is_owed_the_grant() -> None:
    """2026-H1 and 2026-H2 switched to 10 000 € each: every outcome is not payable
    (4 000 + 42 000 = 46 000 €), the payers owe 2 × 10 000 = 20 000 €."""
    plan = compute_outcome_payments(
        rules=demo_rules(),
        participant_outcomes=deal(),
        variations=grant(["2026-H1", "2026-H2"], 10_000 * EUR),
    )
    assert plan.total == 20_000 * EUR
    assert [(line.period, line.amount) for line in plan.lines] == [
        ("2026-H1", 10_000 * EUR),
        ("2026-H2", 10_000 * EUR),
    ]
    assert plan.not_payable_total == 46_000 * EUR


def test_the_grant_uses_the_contract_cap_in_its_date_order() -> None:
    """Contract cap 52 000 €. In date order: May's 4 000 € (headroom 48 000 € left), then
    the grant on 1 July: 48 000 € paid, 2 000 € not payable, reason contract_cap."""
    plan = compute_outcome_payments(
        rules=demo_rules(contract_cap=52_000 * EUR),
        participant_outcomes=deal(),
        variations=grant(["2026-H2"], 50_000 * EUR),
    )
    assert plan.total == 52_000 * EUR
    capped = [line for line in plan.not_payable if line.reason is NotPayableReason.CONTRACT_CAP]
    assert [(line.period, line.amount) for line in capped] == [("2026-H2", 2_000 * EUR)]
    [headroom] = [h for h in plan.headroom if h.cap == "contract_cap"]
    assert (headroom.used, headroom.remaining) == (52_000 * EUR, 0)


def test_the_grant_uses_a_payers_cap_like_an_outcome_payment() -> None:
    """The State capped at 36 000 €: May's line takes 2 800 €, the grant's State part
    (35 000 €) fits 33 200 €: 1 800 € not payable from the State, reason payer_cap.
    The département still owes its 15 000 €: total 4 000 + 48 200 = 52 200 €."""
    rules = demo_rules(
        payers=[
            {"payer": "state", "share_percent": "70", "cap": 36_000 * EUR},
            {"payer": "departement", "share_percent": "30"},
        ]
    )
    plan = compute_outcome_payments(
        rules=rules, participant_outcomes=deal(), variations=grant(["2026-H2"], 50_000 * EUR)
    )
    capped = [line for line in plan.not_payable if line.reason is NotPayableReason.PAYER_CAP]
    assert [(line.payer, line.amount) for line in capped] == [("state", 1_800 * EUR)]
    assert plan.total == 52_200 * EUR


def test_a_grant_effective_after_a_termination_is_not_owed() -> None:
    """Terminated 30 June; the grant from 1 July is not payable, reason
    after_termination (its 50 000 €); May's 4 000 € is still owed."""
    plan = compute_outcome_payments(
        rules=demo_rules(),
        participant_outcomes=outcomes("training", [MAY] * 5),
        variations=grant(["2026-H2"], 50_000 * EUR),
        terminated_on=date(2026, 6, 30),
    )
    assert plan.total == 4_000 * EUR
    assert [(line.reason, line.amount) for line in plan.not_payable] == [
        (NotPayableReason.AFTER_TERMINATION, 50_000 * EUR)
    ]


def test_the_grant_is_split_by_the_programme_wide_shares_whatever_a_payer_split_says() -> None:
    """A split makes the département pay all of cohort c1's training; the grant pays for
    no cohort or metric: 1 000,01 € split 70/30 by largest remainder = 700,01 € + 300,00 €."""
    rules = demo_rules(
        payer_splits=[
            {
                "cohorts": ["c1"],
                "shares": [{"payer": "departement", "share": "100"}],
            }
        ]
    )
    plan = compute_outcome_payments(rules=rules, variations=grant(["2026-H2"], 100_001))
    [line] = plan.lines
    assert [(p.payer, p.amount) for p in line.payers] == [
        ("state", 70_001),
        ("departement", 30_000),
    ]


def test_a_pause_does_not_stop_the_grant_it_is_owed_as_agreed() -> None:
    """Paused from 1 June, never resumed; 2026-H2 switched to 50 000 € from 1 July: May's
    4 000 € pays (before the pause), the grant is owed: 54 000 €."""
    variations = Variations.from_terms(
        [
            {"kind": "pause", "effective_date": "2026-06-01", "parameters": {}},
            {
                "kind": "grant_payments",
                "effective_date": "2026-07-01",
                "parameters": {"periods": ["2026-H2"], "amount": 50_000 * EUR},
            },
        ]
    )
    plan = compute_outcome_payments(
        rules=demo_rules(), participant_outcomes=deal(), variations=variations
    )
    assert plan.total == 54_000 * EUR
    assert {line.reason for line in plan.not_payable} == {NotPayableReason.GRANT_PAYMENTS}
