"""Contract variations in the rules engine, each from its effective date, worked by hand.

Amounts are cents. The demo rate card (tests/payments/test_rules_rate_card.py): training
800 €, the State 70 %, the département 30 %.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from payments.rules import NotPayableReason, compute_outcome_payments
from payments.rules.variations import Variations
from tests.payments.test_rules_rate_card import EUR, demo_rules, outcome


def varied(*items: tuple[str, date, dict[str, Any]]) -> Variations:
    return Variations.from_terms(
        [{"kind": k, "effective_date": on.isoformat(), "parameters": p} for k, on, p in items]
    )


def training(days: list[date], cohort: str = "c1") -> list[Any]:
    return [outcome(f"r{i}", f"p{i}", "training", on, cohort) for i, on in enumerate(days)]


MAY, JULY_1, AUGUST = date(2026, 5, 15), date(2026, 7, 1), date(2026, 8, 10)


def test_a_price_change_prices_outcomes_from_its_date_at_the_new_price() -> None:
    """Price 800 → 1,000 from 1 July: 5 outcomes in May and 3 in August
    = 5 × 800 + 3 × 1,000 = 7,000.00."""
    plan = compute_outcome_payments(
        rules=demo_rules(),
        participant_outcomes=training([MAY] * 5 + [AUGUST] * 3),
        variations=varied(("price_change", JULY_1, {"metric": "training", "price": 1_000 * EUR})),
    )
    assert plan.total == 7_000 * EUR
    assert sorted((line.unit_price, line.count) for line in plan.lines) == [
        (800 * EUR, 5),
        (1_000 * EUR, 3),
    ]


def test_an_outcome_on_the_effective_date_takes_the_new_price() -> None:
    """One outcome on 1 July itself: 1 × 1,000 = 1,000.00."""
    plan = compute_outcome_payments(
        rules=demo_rules(),
        participant_outcomes=training([JULY_1]),
        variations=varied(("price_change", JULY_1, {"metric": "training", "price": 1_000 * EUR})),
    )
    assert plan.total == 1_000 * EUR


def test_outcomes_within_a_pause_are_not_payable_as_paused() -> None:
    """Paused 1 July, resumed 1 September: May (2) and September (1) pay, August (3) not.
    Paid 3 × 800 = 2,400.00; not payable, paused: 3 × 800 = 2,400.00."""
    september = date(2026, 9, 1)
    plan = compute_outcome_payments(
        rules=demo_rules(),
        participant_outcomes=training([MAY] * 2 + [AUGUST] * 3 + [september]),
        variations=varied(("pause", JULY_1, {}), ("resume", september, {})),
    )
    assert plan.total == 2_400 * EUR
    [stopped] = plan.not_payable
    assert (stopped.reason, stopped.count, stopped.amount) == (
        NotPayableReason.PAUSED,
        3,
        2_400 * EUR,
    )


def test_a_removed_cohort_stops_paying_from_its_date_and_the_others_go_on() -> None:
    """Cohort c2 removed from 1 July: c2 in May pays, c2 in August not; c1 in August pays.
    Paid 800 + 800 = 1,600.00; not payable, cohort removed: 800."""
    plan = compute_outcome_payments(
        rules=demo_rules(),
        participant_outcomes=[
            outcome("a", "p1", "training", MAY, "c2"),
            outcome("b", "p2", "training", AUGUST, "c2"),
            outcome("c", "p3", "training", AUGUST, "c1"),
        ],
        variations=varied(("cohort_removed", JULY_1, {"cohort": "c2"})),
    )
    assert plan.total == 1_600 * EUR
    [stopped] = plan.not_payable
    assert (stopped.reason, stopped.cohort, stopped.result_ids) == (
        NotPayableReason.COHORT_REMOVED,
        "c2",
        ("b",),
    )


def test_what_a_pause_stops_uses_no_contract_cap_headroom() -> None:
    """Contract cap 1,600: 2 paused outcomes (August) would have used it all; the 2 paid
    after the resumption (September) fit: 2 × 800 = 1,600.00 paid, none capped."""
    september = date(2026, 9, 1)
    plan = compute_outcome_payments(
        rules=demo_rules(contract_cap=1_600 * EUR),
        participant_outcomes=training([AUGUST] * 2 + [september] * 2),
        variations=varied(("pause", JULY_1, {}), ("resume", september, {})),
    )
    assert plan.total == 1_600 * EUR
    assert {line.reason for line in plan.not_payable} == {NotPayableReason.PAUSED}


def test_outcomes_from_an_early_redemption_are_not_payable_as_redeemed() -> None:
    """Redeemed early on 1 July: May's 2 outcomes pay 2 × 800 = 1,600.00; August's 3 and
    one on 1 July itself are not payable, redeemed."""
    plan = compute_outcome_payments(
        rules=demo_rules(),
        participant_outcomes=training([MAY] * 2 + [JULY_1] + [AUGUST] * 3),
        variations=varied(("early_redemption", JULY_1, {})),
    )
    assert plan.total == 1_600 * EUR
    assert {line.reason for line in plan.not_payable} == {NotPayableReason.REDEEMED}
    assert sum(line.count for line in plan.not_payable) == 4
