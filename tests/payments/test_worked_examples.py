"""Worked examples, computed by hand from the contract rules (not from the code's output).

Amounts are cents. Every deal is built through the services, results are verified by a
lead evaluator, money received is posted to the ledger, then the programme is recomputed
as the worker would.
"""

import json
from decimal import Decimal

import pytest

from payments.models import OutcomePaymentLine, ScheduleVersion
from payments.schedules import programme_recompute
from sib import services as sib_services
from tests.payments.schedule_support import SENIOR_JUNIOR, D, Deal, jardins

pytestmark = pytest.mark.django_db


def actual(deal: Deal) -> dict:
    versions = programme_recompute(programme_id=deal.programme.pk, projections=())
    return json.loads(versions[0].content)


def lines_by(document: dict, key: str = "metric") -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in document["outcome_payments"]["lines"]:
        totals[line[key]] = totals.get(line[key], 0) + line["amount"]
    return totals


def not_payable(document: dict) -> list[tuple[str, str, str, int]]:
    return [
        (line["metric"], line["cohort"], line["reason"], line["amount"])
        for line in document["outcome_payments"]["not_payable"]
    ]


def test_demo_programme_end_to_end():
    deal = jardins()
    deal.draw("senior", "banque-solidaire", D(2026, 1, 15), 60_000_000)
    deal.draw("senior", "fondation-terre", D(2026, 1, 15), 30_000_000)
    deal.draw("junior", "fonds-impact", D(2026, 1, 15), 20_000_000)
    people = [f"p{i:02}" for i in range(50)]
    training = deal.participants("training", "c1", "2026", [(p, D(2026, 5, 1)) for p in people])
    # p00 reported again the next year: paid once per metric over the contract.
    repeat = deal.participants("training", "c1", "2027", [("p00", D(2027, 2, 1))])
    deal.participants("work-6m", "c1", "2027", [(p, D(2027, 3, 1)) for p in people[:30]])
    deal.participants("work-12m", "c1", "2027", [(p, D(2027, 9, 1)) for p in people[:20]])

    document = actual(deal)

    # 50 x 800 €; 30 x 3 000 €; the 20 who also reach 12 months already have 3 800 € of the
    # 5 500 € participant cap, so each is paid 1 700 € of the 2 500 €.
    assert lines_by(document) == {
        "training": 4_000_000,
        "work-6m": 9_000_000,
        "work-12m": 3_400_000,
    }
    plan = document["outcome_payments"]
    assert plan["total"] == 16_400_000
    assert plan["payer_totals"] == [
        {"amount": 11_480_000, "payer": "etat"},
        {"amount": 4_920_000, "payer": "departement-13"},
    ]
    assert ("work-12m", "c1", "participant_cap", 1_600_000) in not_payable(document)
    assert [(r["result_id"], r["paid_result_id"]) for r in plan["repeats"]] == [
        (repeat.pk, training.pk)
    ]
    training_line = next(line for line in plan["lines"] if line["metric"] == "training")
    assert training_line["result_ids"] == [training.pk]
    assert training_line["unit_price"] == 80_000
    assert training_line["payers"] == [
        {"amount": 2_800_000, "payer": "etat"},
        {"amount": 1_200_000, "payer": "departement-13"},
    ]
    headroom = {h["cap"]: h for h in plan["headroom"]}
    assert headroom["contract_cap"]["remaining"] == 150_000_000 - 16_400_000

    # The State pays its 28 000 € for training: senior principal, 2:1 by capital drawn.
    deal.receive("etat", 2_800_000, D(2027, 1, 31))
    document = actual(deal)
    paid = {
        (d["step_kind"], d["recipient"]): d["amount"] for d in document["schedule"]["distributions"]
    }
    assert paid == {
        ("principal", "banque-solidaire"): 1_866_667,
        ("principal", "fondation-terre"): 933_333,
    }
    assert document["schedule"]["totals"] == {
        "distributed": 2_800_000,
        "received": 2_800_000,
        "residual": 0,
    }
    bank = next(i for i in document["investors"] if i["investor"] == "banque-solidaire")
    assert bank["outstanding_principal"] == 60_000_000 - 1_866_667
    assert bank["category"] == "some"
    assert bank["xirr"]["status"] == "ok" and Decimal(bank["xirr"]["value"]) < 0
    junior = next(i for i in document["investors"] if i["investor"] == "fonds-impact")
    assert junior["proposed_returned"] == 0 and junior["category"] == "none"

    # The stored lines of the current version name the results and the contract version.
    version = ScheduleVersion.objects.get(
        programme=deal.programme, chain_head=document["chain_head"], scenario="actual"
    )
    assert version.contract_version.digest == document["contract_version"]
    stored = OutcomePaymentLine.objects.filter(version=version).order_by("position")
    assert [(line.metric, line.amount) for line in stored][:1] == [("training", 4_000_000)]


def comparison_deal(slug: str, mechanism: dict, *, direction: str) -> Deal:
    deal = Deal(slug)
    for code in ("c1", "c2", "c3"):
        deal.cohort(code, 100)
    deal.period("2027", D(2027, 1, 1), D(2027, 12, 31))
    deal.period("2028", D(2028, 1, 1), D(2028, 12, 31))
    deal.metric(
        "reoffending",
        {"kind": "comparison", "direction": direction, "cohorts": ["c1", "c2", "c3"], **mechanism},
        unit="percentage_improvement",
        direction=direction,
    )
    return deal


def test_threshold_deal_pays_one_cohort_early_and_the_others_on_the_pool():
    deal = comparison_deal(
        "threshold",
        {"cohort_threshold": "0.10", "pooled_threshold": "0.075", "price_per_point": 10_000},
        direction="lower_is_better",
    )
    sizes = {"sample_size": 100, "comparison_sample_size": 100}
    deal.result("reoffending", "c1", "2027", 40, comparison_value=Decimal(50), **sizes)
    deal.result("reoffending", "c2", "2027", 47, comparison_value=Decimal(50), **sizes)
    document = actual(deal)
    # c1: (50 - 40) / 50 = 20 % >= 10 %: paid early, 20 points x 100 € x 100 people.
    assert lines_by(document, "cohort") == {"c1": 20_000_000}
    # c2: 6 % is below its own threshold; it waits for the pool (c3 not completed).
    assert ("reoffending", "c2", "awaiting_pooled_result", 0) in not_payable(document)

    deal.result("reoffending", "c3", "2028", 46, comparison_value=Decimal(50), **sizes)
    document = actual(deal)
    # Pool of c1..c3: treated (40 + 47 + 46) / 3 = 44.333..., improvement 5.667 / 50 =
    # 0.11333 -> 0.1133 >= 7.5 %: c2 and c3 each paid 11.33 points x 100 € x 100.
    assert lines_by(document, "cohort") == {
        "c1": 20_000_000,
        "c2": 11_330_000,
        "c3": 11_330_000,
    }
    pooled = [line for line in document["outcome_payments"]["lines"] if line["cohort"] != "c1"]
    assert all(line["improvement"] == "0.1133" for line in pooled)
    assert all(len(line["result_ids"]) == 3 for line in pooled)


def test_cohort_just_below_a_threshold_pays_nothing():
    deal = comparison_deal(
        "just-below",
        {"cohort_threshold": "0.10", "pooled_threshold": None, "price_per_point": 10_000},
        direction="lower_is_better",
    )
    sizes = {"sample_size": 100, "comparison_sample_size": 100}
    # (50 - 45.0025) / 50 = 0.09995 -> 0.1000 (half even): exactly at the threshold, pays.
    deal.result("reoffending", "c1", "2027", "45.0025", comparison_value=Decimal(50), **sizes)
    # (50 - 45.01) / 50 = 0.0998: below, pays nothing.
    deal.result("reoffending", "c2", "2027", "45.01", comparison_value=Decimal(50), **sizes)
    document = actual(deal)
    assert lines_by(document, "cohort") == {"c1": 10_000_000}
    assert ("reoffending", "c2", "below_threshold", 0) in not_payable(document)


def test_tiered_table_pays_the_band_of_each_cohort():
    tiers = [
        {"min_improvement": "0.05", "max_improvement": "0.10", "amount": 50_000},
        {"min_improvement": "0.10", "max_improvement": "0.20", "amount": 100_000},
        {"min_improvement": "0.20", "max_improvement": None, "amount": 150_000},
    ]
    deal = comparison_deal(
        "tiered",
        {"cohort_threshold": "0.05", "pooled_threshold": None, "tiers": tiers},
        direction="higher_is_better",
    )
    sizes = {"sample_size": 100, "comparison_sample_size": 100}
    deal.result("reoffending", "c1", "2027", 46, comparison_value=Decimal(40), **sizes)  # 15 %
    deal.result(
        "reoffending", "c2", "2027", "41.96", comparison_value=Decimal(40), **sizes
    )  # 4.9 %
    deal.result("reoffending", "c3", "2027", 48, comparison_value=Decimal(40), **sizes)  # 20 %
    document = actual(deal)
    # Per participant: 1 000 € x 100 for the 10-20 % band, 1 500 € x 100 from 20 % (the
    # band's lower bound is included), nothing under the 5 % threshold.
    assert lines_by(document, "cohort") == {"c1": 10_000_000, "c3": 15_000_000}
    assert ("reoffending", "c2", "below_threshold", 0) in not_payable(document)


def test_savings_share_switches_share_once_investors_are_covered():
    deal = Deal("savings")
    deal.cohort("c1").cohort("c2")
    deal.period("2027", D(2027, 1, 1), D(2027, 12, 31))
    deal.period("2028", D(2028, 1, 1), D(2028, 12, 31))
    deal.metric(
        "cost-avoided",
        {"kind": "savings_share", "share_before_percent": "50", "share_after_percent": "10"},
        unit="cost_avoided",
    )
    deal.terms([{"kind": "residual_to_payer"}], savings_repayment_target=10_000_000)
    deal.result("cost-avoided", "c1", "2027", 15_000_000)
    deal.result("cost-avoided", "c2", "2028", 10_000_000)
    document = actual(deal)
    # 50 % of 150 000 € = 75 000 €; then 25 000 € of headroom = 50 % of 50 000 € avoided,
    # and the other 50 000 € avoided at 10 % = 5 000 €.
    assert lines_by(document, "cohort") == {"c1": 7_500_000, "c2": 3_000_000}
    shares = [
        (line["cohort"], line["share_percent"], line["amount"])
        for line in document["outcome_payments"]["lines"]
    ]
    assert shares == [("c1", "50", 7_500_000), ("c2", "50", 2_500_000), ("c2", "10", 500_000)]


def small_capital_deal(slug: str) -> Deal:
    deal = Deal(slug, payers=(("etat", "100"),))
    deal.cohort("c1")
    deal.period("2026", D(2026, 1, 1), D(2026, 12, 31))
    deal.period("2027", D(2027, 1, 1), D(2027, 12, 31))
    deal.metric("work", {"kind": "rate_card", "price": 300_000})
    deal.tranche("senior", "senior_loan", 1, cap=("annual_rate", "0.05"))
    deal.tranche("junior", "subordinated_loan", 2, cap=("annual_rate", "0.08"))
    deal.tranche("guarantee", "guarantee", 3, protects="senior", cover=3_000_000)
    deal.commit("senior", "banque-solidaire", 10_000_000)
    deal.commit("junior", "fonds-impact", 5_000_000)
    deal.commit("guarantee", "fondation-garantie", 3_000_000)
    deal.terms(SENIOR_JUNIOR)
    deal.draw("senior", "banque-solidaire", D(2026, 1, 1), 10_000_000)
    deal.draw("junior", "fonds-impact", D(2026, 1, 1), 5_000_000)
    return deal


def test_guarantee_absorbs_a_senior_loss_after_the_junior_lost_everything():
    deal = small_capital_deal("guarantee")
    deal.receive_owed("etat", 6_000_000, D(2026, 12, 31))
    sib_services.programme_terminate(
        programme=deal.programme, termination_date=D(2026, 12, 31), reason="payer option"
    )
    document = actual(deal)
    investors = {i["investor"]: i for i in document["investors"]}
    # 60 000 € all go to senior principal (first step). At the end date 40 000 € of senior
    # principal is outstanding; the guarantee covers 30 000 € of it. The junior, ranked
    # after, received nothing: it absorbed its whole loss first.
    assert investors["banque-solidaire"]["proposed_principal_repayment"] == 6_000_000
    assert investors["banque-solidaire"]["proposed_guarantee_payment"] == 3_000_000
    assert investors["banque-solidaire"]["outstanding_principal"] == 1_000_000
    assert investors["banque-solidaire"]["category"] == "some"
    assert investors["fonds-impact"]["proposed_returned"] == 0
    assert investors["fonds-impact"]["category"] == "none"
    assert investors["fondation-garantie"]["drawn"] == 3_000_000
    [call] = document["schedule"]["guarantee_calls"]
    assert (call["shortfall"], call["amount"]) == (4_000_000, 3_000_000)


def test_early_termination_pays_results_up_to_the_termination_date_only():
    deal = small_capital_deal("termination")
    people = [("a", D(2027, 3, 1)), ("b", D(2027, 6, 30)), ("d", D(2027, 7, 1))]
    deal.participants("work", "c1", "2027", people)
    deal.participants("work", "c1", "2026", [("c", D(2026, 9, 1))])
    # An aggregate result is dated at its period's end, 31 December 2027. Beside the
    # participant records of its cell it is declared additional (outcomes.cells).
    deal.result("work", "c1", "2027", 2, additional=True, additional_reason="counted apart")
    sib_services.programme_terminate(
        programme=deal.programme, termination_date=D(2027, 6, 30), reason="cohort cancelled"
    )
    document = actual(deal)
    # c (2026), a (1 March) and b (on the termination day itself) pay: 3 x 3 000 €.
    # d (1 July) and the aggregate of 2 (31 December) do not: 3 x 3 000 € not payable.
    assert document["outcome_payments"]["total"] == 900_000
    late = [line for line in not_payable(document) if line[2] == "after_termination"]
    assert sum(line[3] for line in late) == 900_000
    assert document["end_date"] == "2027-06-30"
