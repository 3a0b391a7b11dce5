"""A deal that pays some outcomes more than once per participant, end to end: loaded with
`programme_load`, participants loaded with `results_load`, verified, computed with
`schedule --json`, dumped back with `programme_dump`.

The demo deal (docs/programme-format.md "Example") is 103 600 € due from its history, with
a participant cap of 5 500 €. Two metrics are added, both for cohort 2026, period 2026:
`housed`, 1 500 € for each occurrence, and `in-work-3m`, 1 000 € up to twice per person.

Hand calculation, in date order (the participant cap counts every metric together):

- P-1: 02-01 housed 1 500 € (1 500), 03-01 in work 1 000 € (2 500), 05-01 housed 1 500 €
  (4 000), 06-01 in work 1 000 € (5 000); 08-01 housed pays the 500 € left and 1 000 € is
  refused; 09-01 in work is a third time: a repeat, not priced; 11-01 housed is refused
  whole, 1 500 €. P-1 is paid 5 500 €, 2 500 € stopped by the participant cap.
- P-2: 04-01 housed 1 500 €, 04-15 in work 1 000 €.

housed 1 500 + 1 500 + 500 + 1 500 = 5 000 €; in-work-3m 2 000 + 1 000 = 3 000 €.
Due: 103 600 + 8 000 = 111 600 €.
"""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from outcomes import services as outcome_services
from outcomes.models import Result
from reports.selectors.outcomes import outcomes_as_of
from sib.demo import demo_definition
from sib.models import ChainEntry, Programme, User

pytestmark = pytest.mark.django_db

SLUG = "jardins-solidaires"
DEMO_DUE = 10_360_000
PEOPLE = """participant_id,metric,cohort,period,date_achieved
P-1,housed,2026,2026,2026-02-01
P-1,in-work-3m,2026,2026,2026-03-01
P-2,housed,2026,2026,2026-04-01
P-2,in-work-3m,2026,2026,2026-04-15
P-1,housed,2026,2026,2026-05-01
P-1,in-work-3m,2026,2026,2026-06-01
P-1,housed,2026,2026,2026-08-01
P-1,in-work-3m,2026,2026,2026-09-01
P-1,housed,2026,2026,2026-11-01
"""


def metric(code: str, name: str, price: int, times: object) -> dict:
    return {
        "code": code,
        "name": name,
        "definition": name,
        "unit": "participant_outcome",
        "mechanism": {"kind": "rate_card", "price": price, "payable_per_participant": times},
        "cohorts": ["2026"],
        "periods": ["2026"],
    }


def deal() -> dict:
    document = demo_definition()
    document["metrics"] += [
        metric("housed", "Moves into settled housing", 150_000, "each"),
        metric("in-work-3m", "In work for 3 months", 100_000, 2),
    ]
    return document


@pytest.fixture
def manager():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create_superuser("root", password="pw-123456789")


def load(tmp_path: Path, document: dict, name: str = "deal.json") -> None:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    call_command("programme_load", str(path), manager="root", stdout=StringIO())


def load_people(tmp_path: Path, people: str = PEOPLE) -> dict[str, Result]:
    path = tmp_path / "people.csv"
    path.write_text(people, encoding="utf-8")
    call_command("results_load", SLUG, str(path), user="evaluator", stage="final", no_progress=True)
    lead = User.objects.get(username="lead")
    results = {}
    for result in Result.objects.filter(programme__slug=SLUG, from_participants=True):
        outcome_services.result_verify(result=result, user=lead)
        results[result.metric.code] = result
    return results


def schedule_json() -> dict:
    out = StringIO()
    call_command("schedule", SLUG, json=True, stdout=out)
    return json.loads(out.getvalue())


def test_each_occurrence_and_up_to_two_are_paid_within_the_participant_cap(manager, tmp_path):
    load(tmp_path, deal())
    results = load_people(tmp_path)
    # One period holds P-1 housed four times: each occurrence is its own record.
    assert results["housed"].value == 5 and results["in-work-3m"].value == 4

    plan = schedule_json()["outcome_payments"]
    assert plan["metric_totals"]["housed"] == 500_000
    assert plan["metric_totals"]["in-work-3m"] == 300_000
    assert plan["total"] == DEMO_DUE + 800_000
    capped = [
        (line["metric"], line["amount"])
        for line in plan["not_payable"]
        if line["reason"] == "participant_cap"
    ]
    # 1 000 € of 08-01 and 1 500 € of 11-01, on the one line of their cell.
    assert capped == [("housed", 250_000)]
    work = results["in-work-3m"].pk
    assert plan["repeats"] == [
        {
            "achieved_on": "2026-09-01",
            "cohort": "2026",
            "metric": "in-work-3m",
            "paid_result_id": work,
            "period": "2026",
            "reason": "participant_already_paid_for_metric",
            "result_id": work,
        }
    ]


def test_the_outcomes_report_says_how_often_a_person_is_paid(manager, tmp_path):
    load(tmp_path, deal())
    programme = Programme.objects.get(slug=SLUG)
    head = ChainEntry.objects.filter(programme=programme).order_by("seq").last()
    texts = {
        lang: {s.code: s.mechanism for s in outcomes_as_of(programme, head.seq, lang).sections}
        for lang in ("en", "fr")
    }
    assert texts["en"]["housed"].endswith(
        "per verified outcome. Each occurrence is paid, for the same person too."
    )
    assert texts["en"]["in-work-3m"].endswith("per verified outcome. At most 2 times per person.")
    assert texts["en"]["training"].endswith("per verified outcome.")
    assert texts["fr"]["in-work-3m"].endswith("Au plus 2 fois par personne.")


def test_paid_once_by_default_a_second_occurrence_in_the_period_is_refused(manager, tmp_path):
    """Without the field each metric pays once, and keeps one record per participant and
    period: P-1's later lines (6 to 10) are refused, the file with them. P-1 and P-2 once
    each: housed 2 x 1 500 € = 3 000 €, in work 2 x 1 000 € = 2 000 €."""
    document = deal()
    for item in document["metrics"][-2:]:
        del item["mechanism"]["payable_per_participant"]
    load(tmp_path, document)
    with pytest.raises(CommandError, match=r"5 error\(s\); nothing was imported"):
        load_people(tmp_path)
    assert not Result.objects.filter(programme__slug=SLUG, from_participants=True).exists()
    first_four = "".join(PEOPLE.splitlines(keepends=True)[:5])
    load_people(tmp_path, first_four)
    plan = schedule_json()["outcome_payments"]
    assert plan["metric_totals"]["housed"] == 300_000
    assert plan["metric_totals"]["in-work-3m"] == 200_000
    assert plan["repeats"] == []


def test_programme_dump_gives_the_rule_back_and_writes_nothing_for_once(manager, tmp_path):
    load(tmp_path, deal())
    out = StringIO()
    call_command("programme_dump", SLUG, stdout=out)
    dumped = json.loads(out.getvalue())
    mechanisms = {m["code"]: m["mechanism"] for m in dumped["metrics"]}
    assert mechanisms["housed"]["payable_per_participant"] == "each"
    assert mechanisms["in-work-3m"]["payable_per_participant"] == 2
    assert mechanisms["training"] == {"kind": "rate_card", "price": 80_000}
    dumped["programme"]["slug"] = "jardins-copy"
    load(tmp_path, dumped, "copy.json")
    out = StringIO()
    call_command("programme_dump", "jardins-copy", stdout=out)
    assert json.loads(out.getvalue()) == dumped
    assert Programme.objects.get(slug="jardins-copy").metrics.get(code="housed").by_occurrence
