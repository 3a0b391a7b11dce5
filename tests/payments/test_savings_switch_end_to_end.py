"""A savings share that switches when the loans are actually repaid, and a success fee
that reaches the investors: loaded with `programme_load`, computed with
`schedule --json --scenario 100`, dumped back with `programme_dump`.

The deal (the demo's parties, tranches and drawdowns): senior lenders drew
400 000 € + 200 000 € = 600 000 € (5 % a year), the junior fund 130 000 € (8 % a year).
One savings metric for cohort 2026: 5 000 000 € of public cost avoided forecast over
the five periods, 1 000 000 € each, dated 31 December; the payer pays 80 % of it until the
investors' principal is repaid, 20 % after. The waterfall: principal and return of each
tranche, then half of what is left to the junior fund as its success fee.

Hand calculation, date by date:
- 2026-12-31: 80 % x 1 000 000 € = 800 000 €. Senior principal 600 000 €; senior
  return 5 % on 400 000 € and 200 000 € drawn 2026-01-15 (350 days) and 300 000 €
  drawn 2026-07-01 (183 days), about 21 900 €; junior principal 130 000 €; junior
  return about 6 700 €: 800 000 € covers all of it, so the principal is repaid on
  2026-12-31. The switch date D = 2026-12-31.
- 2027 to 2030, after D: 20 % x 1 000 000 € = 200 000 € a year.
Under the default "target" the same deal pays 80 % until the payments reach the
commitments plus their capped return over the five years: 900 000 € x (1 + 5 x 5 %) +
200 000 € x (1 + 5 x 8 %) = 1 405 000 €. 2026 pays 800 000 €; 2027 pays the 605 000 €
left at 80 % (of 756 250 € avoided) and 20 % of the other 243 750 €, 48 750 €: 653 750 €.
The success fee: what is left after the junior return, halved (half to even), goes to
the junior fund, so the fee and what stays with the payer differ by at most a cent.
"""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from payments.portal.distributions import step_name
from reports.services import report_render
from sib.demo import demo_definition
from sib.models import Programme, User
from sib.programme_format import DefinitionError, programme_definition_load
from tests.reports.support import pdf_text

pytestmark = pytest.mark.django_db

SLUG = "jardins-solidaires"
PER_PERIOD = 100_000_000  # 1 000 000,00 € of cost avoided a year


def savings_deal(switch: str | None = "repaid") -> dict:
    document = demo_definition()
    document["metrics"] = [
        {
            "code": "custody-avoided",
            "name": "Custody costs avoided",
            "definition": "Public cost of custody avoided, against the comparison group.",
            "unit": "cost_avoided",
            "direction": "higher_is_better",
            "evidence_required": "The evaluator's cost study.",
            "target_value": str(5 * PER_PERIOD),
            "mechanism": {
                "kind": "savings_share",
                "share_before_percent": "80",
                "share_after_percent": "20",
            },
            "max_count": None,
            "max_amount": None,
            "cohorts": ["2026"],
            "periods": ["2026", "2027", "2028", "2029", "2030"],
        }
    ]
    document["programme"]["contract_cap"] = 500_000_000
    document["history"] = {"drawdowns": document["history"]["drawdowns"]}
    document["waterfall"] = [
        {"kind": "principal", "tranche": "senior"},
        {"kind": "return", "tranche": "senior"},
        {"kind": "principal", "tranche": "junior"},
        {"kind": "return", "tranche": "junior"},
        {"kind": "investor_success_fee", "tranche": "junior", "share": "0.5"},
        {"kind": "guarantee_reimbursement", "tranche": "guarantee"},
        {"kind": "residual_to_payer"},
    ]
    if switch is not None:
        document["payment_terms"]["savings_switch"] = switch
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


def schedule_json(slug: str = SLUG) -> dict:
    out = StringIO()
    call_command("schedule", slug, scenario="100", json=True, stdout=out)
    return json.loads(out.getvalue())


def by_period(document: dict) -> dict[str, int]:
    return document["outcome_payments"]["period_totals"]


def test_the_share_switches_after_the_date_the_principal_is_repaid(manager, tmp_path):
    """800 000 € on 2026-12-31 repays every lender; 200 000 € a year after."""
    load(tmp_path, savings_deal())
    document = schedule_json()
    assert document["savings_repaid_on"] == "2026-12-31"
    assert by_period(document) == {
        "2026": 80_000_000,
        "2027": 20_000_000,
        "2028": 20_000_000,
        "2029": 20_000_000,
        "2030": 20_000_000,
    }
    lines = [line for line in document["schedule"]["lines"] if line["on"] == "2026-12-31"]
    assert all(line["outstanding_principal"] == 0 for line in lines if line["drawn_to_date"])


def test_the_default_switches_at_the_fixed_target_instead(manager, tmp_path):
    """Without the option 2027 still pays 80 % up to the 1 405 000 € target: 653 750 €."""
    load(tmp_path, savings_deal(switch=None))
    document = schedule_json()
    assert "savings_repaid_on" not in document
    assert by_period(document)["2026"] == 80_000_000
    assert by_period(document)["2027"] == 65_375_000


def test_the_success_fee_reaches_the_junior_fund_and_counts_in_its_return(manager, tmp_path):
    """Half of what is left after the junior return goes to the junior fund; the payer
    keeps the other half: they differ by at most a cent. The fund's return paid is its
    capped return plus the fees, so its MOIC is above 1 + 8 % a year could give."""
    load(tmp_path, savings_deal())
    document = schedule_json()
    schedule = document["schedule"]
    fees = [d for d in schedule["distributions"] if d["step_kind"] == "investor_success_fee"]
    assert {(d["tranche"], d["recipient"]) for d in fees} == {("junior", "fonds-impact")}
    residual = {r["on"]: r["amount"] for r in schedule["residuals"]}
    for fee in fees:
        assert abs(fee["amount"] - residual[fee["on"]]) <= 1
    capped = sum(
        d["amount"]
        for d in schedule["distributions"]
        if d["step_kind"] == "return" and d["recipient"] == "fonds-impact"
    )
    [fund] = [i for i in document["investors"] if i["investor"] == "fonds-impact"]
    assert fund["proposed_return_payment"] == capped + sum(fee["amount"] for fee in fees)
    assert fund["drawn"] == 13_000_000
    # Four years of 8 % simple on 130 000 € is below 45 000 €: the fees take it past.
    assert fund["proposed_return_payment"] > 4_500_000


def test_programme_dump_keeps_the_switch_and_the_fee_and_a_copy_gives_the_same(manager, tmp_path):
    load(tmp_path, savings_deal())
    out = StringIO()
    call_command("programme_dump", SLUG, stdout=out)
    dumped = json.loads(out.getvalue())
    assert dumped["payment_terms"]["savings_switch"] == "repaid"
    assert {"kind": "investor_success_fee", "tranche": "junior", "share": "0.5"} in dumped[
        "waterfall"
    ]
    dumped["programme"]["slug"] = "jardins-copy"
    load(tmp_path, dumped, "copy.json")
    out = StringIO()
    call_command("programme_dump", "jardins-copy", stdout=out)
    assert json.loads(out.getvalue()) == dumped
    assert by_period(schedule_json("jardins-copy")) == by_period(schedule_json())


def _errors(document: dict) -> dict[str, str]:
    # English, as programme_load answers; the messages follow the active language.
    with translation.override("en"), pytest.raises(DefinitionError) as error:
        programme_definition_load(document, creator=User.objects.get(username="root"))
    return dict(error.value.errors)


def test_a_bad_switch_and_a_fee_to_guarantors_are_refused_with_their_paths(manager):
    document = savings_deal(switch="when-convenient")
    document["waterfall"][4]["tranche"] = "guarantee"
    errors = _errors(document)
    assert errors["payment_terms.savings_switch"].startswith("must be one of")
    document["payment_terms"]["savings_switch"] = "repaid"
    assert _errors(document) == {
        "waterfall[4].tranche": "'guarantee' is a guarantee: its guarantors earn no success fee"
    }


@pytest.mark.parametrize(
    ("lang", "wording"),
    [
        ("fr", "Prime de succès des investisseurs — Prêt junior"),
        ("en", "Investors’ success fee — Prêt junior"),
    ],
)
def test_the_manager_report_names_the_success_fee_in_its_waterfall(
    manager, tmp_path, lang, wording
):
    load(tmp_path, savings_deal())
    programme = Programme.objects.get(slug=SLUG)
    text = " ".join(
        pdf_text(report_render(programme=programme, edition="manager", language=lang)).split()
    )
    assert wording in text


@pytest.mark.parametrize(
    ("lang", "name"),
    [("fr", "Prime de succès des investisseurs"), ("en", "Investors’ success fee")],
)
def test_the_portal_names_the_step(lang, name):
    with translation.override(lang):
        assert step_name("investor_success_fee") == name
