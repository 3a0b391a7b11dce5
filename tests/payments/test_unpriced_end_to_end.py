"""A deal as real ones are written: a cap nobody published, a metric tracked without
payment, a metric paid at an undisclosed price. Loaded with `programme_load`, computed with
`schedule --json`, dumped back with `programme_dump`, read on the portal in French.

Hand calculation (the demo's history, docs/programme-format.md "Example"): 62 entries into
training x 800 € = 49 600 €, 18 in work at 6 months x 3 000 € = 54 000 €; 103 600 € due,
70 % from the State = 72 520 €, of which 34 720 € was received. The two new metrics'
results (40 wellbeing, 12 sustained jobs) add nothing: 103 600 € stays due.
"""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from outcomes.models import Result
from payments.models import LedgerTransaction
from sib.demo import demo_definition
from sib.models import Programme, User

pytestmark = pytest.mark.django_db

SLUG = "jardins-solidaires"
DUE, STATE_DUE, RECEIVED = 10_360_000, 7_252_000, 3_472_000


def unpriced_deal(cap: int | None = None, state_pays: int = STATE_DUE - RECEIVED) -> dict:
    document = demo_definition()
    document["programme"]["contract_cap"] = cap
    document["metrics"] += [
        {
            "code": "wellbeing",
            "name": "Improved wellbeing score",
            "definition": "WEMWBS score up by 3 points or more after 12 months.",
            "unit": "participant_outcome",
            "mechanism": {"kind": "tracked"},
            "cohorts": ["2026"],
            "periods": ["2026"],
        },
        {
            "code": "sustained-job",
            "name": "Sustained employment (26 weeks)",
            "definition": "In paid work for 26 of the 30 weeks after starting a job.",
            "unit": "participant_outcome",
            "mechanism": {"kind": "undisclosed"},
            "cohorts": ["2026"],
            "periods": ["2026"],
        },
    ]
    history = document["history"]
    for metric, value in (("wellbeing", "40"), ("sustained-job", "12")):
        history["results"].append(
            {
                **history["results"][0],
                "metric": metric,
                "value": value,
                "note": f"Cohort 2026: {metric}.",
            }
        )
    # The State pays the rest of what it owes: with no cap known, nothing caps it.
    history["payments_received"].append({"on": "2026-12-01", "payer": "etat", "amount": state_pays})
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


def schedule_json(slug: str = SLUG) -> dict:
    out = StringIO()
    call_command("schedule", slug, json=True, stdout=out)
    return json.loads(out.getvalue())


def test_a_deal_with_an_unknown_cap_and_unpriced_metrics_loads_and_schedules(manager, tmp_path):
    assert "Loaded programme jardins-solidaires (active)." in load(tmp_path, unpriced_deal())
    programme = Programme.objects.get(slug=SLUG)
    assert programme.contract_cap is None
    # Both results are verified evidence of outcomes.
    wellbeing, sustained = (
        Result.objects.get(programme=programme, metric__code=code)
        for code in ("wellbeing", "sustained-job")
    )
    assert wellbeing.decision.decision == sustained.decision.decision == "verified"

    plan = schedule_json()["outcome_payments"]
    assert plan["total"] == DUE
    assert plan["metric_totals"] == {
        "in-work-12m": 0,
        "in-work-6m": 5_400_000,
        "sustained-job": 0,
        "training": 4_960_000,
        "wellbeing": 0,
    }
    assert {line["metric"] for line in plan["lines"]} == {"in-work-6m", "training"}
    unpriced = [
        (line["metric"], line["reason"], line["amount"], line["result_ids"])
        for line in plan["not_payable"]
    ]
    assert unpriced == [
        ("sustained-job", "price_undisclosed", 0, [sustained.pk]),
        ("wellbeing", "tracked", 0, [wellbeing.pk]),
    ]
    # No cap, no cap headroom: nothing pretends to know one.
    assert "contract_cap" not in {item["cap"] for item in plan["headroom"]}
    schedule = schedule_json()["schedule"]
    assert schedule["totals"]["received"] == STATE_DUE


def test_unpriced_results_post_nothing_to_the_ledger(manager, tmp_path):
    """The ledger books 103 600 € due: the same with or without the two unpriced results."""
    load(tmp_path, unpriced_deal())
    programme = Programme.objects.get(slug=SLUG)
    booked = sum(
        leg.credit
        for tx in LedgerTransaction.objects.filter(programme=programme, kind="outcome_due")
        for leg in tx.legs.all()
        if leg.account.code == "outcome_income"
    )
    assert booked == DUE


def test_the_text_schedule_says_unknown_and_not_disclosed_never_zero(manager, tmp_path):
    load(tmp_path, unpriced_deal())
    out = StringIO()
    call_command("schedule", SLUG, stdout=out)
    text = out.getvalue()
    assert "contract cap: unknown (nothing is checked against it)" in text
    assert "sustained-job price not disclosed" in text
    assert "wellbeing tracked, not paid" in text
    assert (
        "not payable (price_undisclosed): sustained-job / 2026 / 2026: price not disclosed" in text
    )


def test_a_known_cap_refuses_the_payment_an_unknown_one_lets_through(manager, tmp_path):
    """With a cap of 50 000 €, the State owes 70 % of it, 35 000 €, less 34 720 € received:
    280 €. Its payment of 37 800 € is refused; with no cap known it is what it owes."""
    with pytest.raises(CommandError, match=r"history.payments_received\[1\]"):
        load(tmp_path, unpriced_deal(cap=5_000_000))
    assert not Programme.objects.filter(slug=SLUG).exists()
    load(tmp_path, unpriced_deal(cap=None))
    assert Programme.objects.filter(slug=SLUG).exists()


def test_with_no_cap_known_a_payment_above_what_is_owed_is_still_refused(manager, tmp_path):
    with pytest.raises(CommandError, match=r"owes .* now .*; .* is more"):
        load(tmp_path, unpriced_deal(state_pays=STATE_DUE - RECEIVED + 1))


def test_programme_dump_keeps_the_unknown_cap_and_the_unpriced_metrics(manager, tmp_path):
    load(tmp_path, unpriced_deal())
    out = StringIO()
    call_command("programme_dump", SLUG, stdout=out)
    dumped = json.loads(out.getvalue())
    assert "contract_cap" in dumped["programme"] and dumped["programme"]["contract_cap"] is None
    mechanisms = {m["code"]: m["mechanism"] for m in dumped["metrics"]}
    assert mechanisms["wellbeing"] == {"kind": "tracked"}
    assert mechanisms["sustained-job"] == {"kind": "undisclosed"}
    # Loaded again (under another slug), it dumps the same document.
    dumped["programme"]["slug"] = "jardins-copy"
    load(tmp_path, dumped, "copy.json")
    out = StringIO()
    call_command("programme_dump", "jardins-copy", stdout=out)
    assert json.loads(out.getvalue()) == dumped
    copy = schedule_json("jardins-copy")["outcome_payments"]
    assert [(n["metric"], n["reason"], n["amount"]) for n in copy["not_payable"]] == [
        ("sustained-job", "price_undisclosed", 0),
        ("wellbeing", "tracked", 0),
    ]
    assert copy["total"] == DUE


def test_the_portal_says_inconnu_and_prix_non_communique_in_french(manager, tmp_path):
    load(tmp_path, unpriced_deal())
    programme = Programme.objects.get(slug=SLUG)
    client = Client()
    client.force_login(manager)
    client.cookies["django_language"] = "fr"

    def page(name: str) -> str:
        response = client.get(reverse(name, kwargs={"programme_id": programme.pk}))
        assert response.status_code == 200, name
        return response.content.decode()

    home = page("portal:programme-home")
    assert '<dd data-figure="contract-cap">inconnu</dd>' in home
    dashboard = page("payments_portal:dashboard")
    assert '<strong data-figure="contract-cap">inconnu</strong>' in dashboard
    outcomes = page("reports_portal:outcomes")
    assert "Payé au contrat : prix non communiqué." in outcomes
    assert "Indicateur suivi, sans paiement." in outcomes
    payments = page("payments_portal:outcome-payments")
    assert "Prix non communiqué" in payments and "Suivi, non payé" in payments
    assert "0,00\u00a0€</td></tr>" not in payments.split('data-unpriced="sustained-job', 1)[1][:300]
    assert page("reports_portal:chart-payments").startswith("<")
