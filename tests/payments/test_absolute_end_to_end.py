"""A deal paying per reconviction avoided and on a banded restoration rate, loaded with
`programme_load`, computed with `schedule --json`, projected, dumped and read on the portal.

Hand calculation. The demo's history (docs/programme-format.md "Example") is due 103 600 €:
62 entries into training x 800 € + 18 in work at 6 months x 3 000 €. Added:
- reconvictions (absolute_difference, lower is better, 1 500 € per reconviction avoided,
  threshold 10): cohort 2026 had 120 reconvictions, its comparison group 150: 30 avoided
  x 1 500 € = 45 000 €;
- restoration (banded_rate per cohort: 60-65 % 30 000 €, 65-70 % 45 000 €, 70 % or more
  60 000 €): 71 restored of 100 measured = 0.71: 60 000 €.
Due 103 600 + 45 000 + 60 000 = 208 600 €; the State 70 % = 146 020 €, the département
30 % = 62 580 €.
"""

import copy
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from reports.selectors.outcomes import outcomes_as_of
from reports.selectors.state import chain_state
from sib.demo import demo_definition
from sib.models import Programme, User

pytestmark = pytest.mark.django_db

SLUG = "jardins-solidaires"
EUR = 100


def absolute_deal() -> dict[str, Any]:
    document = demo_definition()
    common = {"cohorts": ["2026"], "periods": ["2026"]}
    document["metrics"] += [
        {
            "code": "reconvictions",
            "name": "Reconvictions within a year",
            "definition": "Reconvictions within 12 months, cohort against its matched group.",
            "unit": "participant_outcome",
            "direction": "lower_is_better",
            "target_value": "30",
            "mechanism": {
                "kind": "absolute_difference",
                "direction": "lower_is_better",
                "price_per_unit": 1_500 * EUR,
                "threshold": 10,
            },
            **common,
        },
        {
            "code": "restoration",
            "name": "Family restoration rate",
            "definition": "Children returned to their family among those placed.",
            "unit": "participant_outcome",
            "target_value": "0.72",
            "mechanism": {
                "kind": "banded_rate",
                "basis": "per_cohort",
                "bands": [
                    {"min_rate": "0.60", "max_rate": "0.65", "amount": 30_000 * EUR},
                    {"min_rate": "0.65", "max_rate": "0.70", "amount": 45_000 * EUR},
                    {"min_rate": "0.70", "max_rate": None, "amount": 60_000 * EUR},
                ],
            },
            **common,
        },
    ]
    results = document["history"]["results"]
    first = results[0]
    results += [
        {
            **first,
            "metric": "reconvictions",
            "value": "120",
            "comparison_value": "150",
            "note": "Cohort 2026 against its matched group.",
        },
        {
            **first,
            "metric": "restoration",
            "value": "71",
            "sample_size": 100,
            "note": "Cohort 2026: 71 of 100 restored.",
        },
    ]
    return document


@pytest.fixture
def manager():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create_superuser("root", password="pw-123456789")


def load(tmp_path: Path, document: dict, name: str = "deal.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    out = StringIO()
    call_command("programme_load", str(path), manager="root", stdout=out)
    return out.getvalue()


def schedule_json(*args: str, slug: str = SLUG) -> dict:
    out = StringIO()
    call_command("schedule", slug, *args, json=True, stdout=out)
    return json.loads(out.getvalue())


def test_events_avoided_and_a_banded_rate_are_due_as_the_hand_calculation_says(manager, tmp_path):
    assert "(active)" in load(tmp_path, absolute_deal())
    plan = schedule_json()["outcome_payments"]
    assert plan["total"] == 208_600 * EUR
    assert plan["metric_totals"]["reconvictions"] == 45_000 * EUR
    assert plan["metric_totals"]["restoration"] == 60_000 * EUR
    lines = {line["metric"]: line for line in plan["lines"]}
    reconvictions, restoration = lines["reconvictions"], lines["restoration"]
    assert (reconvictions["count"], reconvictions["unit_price"]) == (30, 1_500 * EUR)
    assert reconvictions["improvement"] == "30"
    assert [p["amount"] for p in reconvictions["payers"]] == [31_500 * EUR, 13_500 * EUR]
    assert (restoration["count"], restoration["unit_price"]) == (100, 60_000 * EUR)
    assert restoration["improvement"] == "0.7100"
    assert [p["amount"] for p in restoration["payers"]] == [42_000 * EUR, 18_000 * EUR]
    assert [p["amount"] for p in plan["payer_totals"]] == [146_020 * EUR, 62_580 * EUR]


def test_below_the_threshold_and_the_lowest_band_nothing_is_due_and_the_schedule_says_why(
    manager, tmp_path
):
    """141 against 150 is 9 avoided, under the threshold of 10; 59 of 100 = 0.59, under
    the lowest band (0.60): both not payable, for 0. 103 600 € stays due."""
    document = absolute_deal()
    document["history"]["results"][-2]["value"] = "141"
    document["history"]["results"][-1]["value"] = "59"
    load(tmp_path, document)
    plan = schedule_json()["outcome_payments"]
    assert plan["total"] == 103_600 * EUR
    assert [
        (n["metric"], n["reason"], n["amount"], n["improvement"]) for n in plan["not_payable"]
    ] == [
        ("reconvictions", "below_threshold", 0, "9"),
        ("restoration", "below_threshold", 0, "0.5900"),
    ]


def test_a_projection_forecasts_both_from_the_metrics_targets(manager, tmp_path):
    """At 100 %: 30 avoided x 1 500 € = 45 000 €; a rate of 0.72 x 100 = 72 of 100: 60 000 €.
    At 50 %: 15 avoided (at least 10) = 22 500 €; 36 of 100 = 0.36, under every band: 0."""
    load(tmp_path, absolute_deal())
    full = schedule_json("--scenario", "100")["outcome_payments"]["metric_totals"]
    assert (full["reconvictions"], full["restoration"]) == (45_000 * EUR, 60_000 * EUR)
    half = schedule_json("--scenario", "50")["outcome_payments"]["metric_totals"]
    assert (half["reconvictions"], half["restoration"]) == (22_500 * EUR, 0)


@pytest.mark.parametrize(
    ("position", "changes", "field"),
    [
        (-2, {"comparison_value": "150.5"}, "comparison_value"),
        (-2, {"comparison_value": None}, "comparison_value"),
        (-1, {"value": "70.5"}, "value"),
        (-1, {"sample_size": None}, "sample_size"),
        (-1, {"value": "101"}, "value"),
    ],
)
def test_a_count_the_mechanism_cannot_price_is_refused_at_load_naming_the_field(
    manager, tmp_path, position, changes, field
):
    document = absolute_deal()
    results = document["history"]["results"]
    results[position].update(changes)
    index = len(results) + position
    with pytest.raises(CommandError, match=rf"history\.results\[{index}\]\.{field}"):
        load(tmp_path, document)
    assert not Programme.objects.filter(slug=SLUG).exists()


def test_programme_dump_gives_back_both_mechanisms_as_loaded(manager, tmp_path):
    document = absolute_deal()
    load(tmp_path, document)
    out = StringIO()
    call_command("programme_dump", SLUG, stdout=out)
    dumped = {m["code"]: m["mechanism"] for m in json.loads(out.getvalue())["metrics"]}
    written = {m["code"]: m["mechanism"] for m in copy.deepcopy(document["metrics"])}
    assert dumped["reconvictions"] == written["reconvictions"]
    assert dumped["restoration"] == written["restoration"]


def test_the_outcomes_page_states_both_rules_in_french(manager, tmp_path):
    load(tmp_path, absolute_deal())
    programme = Programme.objects.get(slug=SLUG)
    client = Client()
    client.force_login(manager)
    client.cookies["django_language"] = "fr"
    response = client.get(reverse("reports_portal:outcomes", kwargs={"programme_id": programme.pk}))
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "Écart avec un groupe témoin, un nombre plus bas étant meilleur : 1\u202f500,00\u00a0€ "
        "par unité en dessous du nombre du groupe témoin. Paiement à partir d’un écart de 10."
    ) in page
    assert (
        "Paliers sur le taux atteint : 70,0\u00a0% ou plus : 60\u202f000,00\u00a0€ par cohorte ; "
        "de 65,0\u00a0% à 70,0\u00a0% : 45\u202f000,00\u00a0€ par cohorte ; "
        "de 60,0\u00a0% à 65,0\u00a0% : 30\u202f000,00\u00a0€ par cohorte ; "
        "en dessous de 60,0\u00a0%, rien."
    ) in page


def test_the_report_counts_the_restored_as_outcomes_and_not_the_reconvictions(manager, tmp_path):
    """A report's verified outcomes count what participants achieved: the 71 restored are
    outcomes; the 120 reconvictions are events the cohort avoided more of, not outcomes."""
    load(tmp_path, absolute_deal())
    programme = Programme.objects.get(slug=SLUG)
    outcomes = outcomes_as_of(programme, chain_state(programme=programme).seq, "en")
    sections = {section.code: section for section in outcomes.sections}
    assert [row.achieved for row in sections["restoration"].results] == [71]
    assert sections["reconvictions"].results == ()
    assert sections["reconvictions"].mechanism == (
        "Difference with a comparison group, a lower count being better: €1,500.00 per unit "
        "the cohort's count is below the comparison group's. Paid from a difference of 10."
    )
    assert sections["restoration"].mechanism == (
        "Bands on the rate achieved: 70.0% or more: €60,000.00 per cohort; 65.0% to 70.0%: "
        "€45,000.00 per cohort; 60.0% to 65.0%: €30,000.00 per cohort; below 60.0%, nothing."
    )
    without = absolute_deal()
    without["history"]["results"] = without["history"]["results"][:-2]
    without["programme"]["slug"] = "without"
    load(tmp_path, without, "without.json")
    other = Programme.objects.get(slug="without")
    before = outcomes_as_of(other, chain_state(programme=other).seq, "en").verified_count
    assert outcomes.verified_count == before + 71
