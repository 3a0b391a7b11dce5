"""A county pays for the first cohort, the State for the others (issue 15, part 3).

The demo deal (docs/programme-format.md, "Example") with its payers split by cohort: the
département has no programme-wide share and pays all of cohort 2026; the State pays the
rest (100 % programme-wide). Loaded with `programme_load`, computed with `schedule --json`,
dumped back with `programme_dump`, read on the portal.

Hand calculation: cohort 2026, 62 entries into training x 800 € = 49 600 € and 18 in work
at 6 months x 3 000 € = 54 000 €, all the département's: 103 600 €, of which it paid
34 720 €. Cohort 2027, 50 entries into training x 800 € = 40 000 €, all the State's.
"""

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from payments.position import programme_position
from sib.demo import demo_definition
from sib.models import Programme, User

pytestmark = pytest.mark.django_db

SLUG = "jardins-solidaires"
COUNTY, STATE = "departement-13", "etat"
COUNTY_DUE, STATE_DUE, RECEIVED = 10_360_000, 4_000_000, 3_472_000


def split_deal() -> dict:
    document = demo_definition()
    for party in document["parties"]:
        if party["organisation"] == STATE:
            party["payer_share"] = "100"
        elif party["organisation"] == COUNTY:
            del party["payer_share"]
    document["payer_shares"] = [
        {"cohorts": ["2026"], "shares": [{"payer": COUNTY, "share": "100"}]}
    ]
    history = document["history"]
    history["results"].append(
        {
            **history["results"][0],
            "cohort": "2027",
            "period": "2027",
            "value": "50",
            "note": "Cohort 2027: entries into accredited training.",
            "submitted_at": "2027-09-30T09:00:00+00:00",
            "verified_at": "2027-10-07T14:30:00+00:00",
        }
    )
    history["payments_received"][0]["payer"] = COUNTY
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


def test_the_county_owes_cohort_2026_and_the_state_cohort_2027(manager, tmp_path):
    assert "(active)" in load(tmp_path, split_deal())
    plan = schedule_json()["outcome_payments"]
    lines = {
        (line["metric"], line["cohort"]): {p["payer"]: p["amount"] for p in line["payers"]}
        for line in plan["lines"]
    }
    assert lines == {
        ("in-work-6m", "2026"): {STATE: 0, COUNTY: 5_400_000},
        ("training", "2026"): {STATE: 0, COUNTY: 4_960_000},
        ("training", "2027"): {STATE: 4_000_000, COUNTY: 0},
    }
    assert plan["payer_totals"] == [
        {"payer": STATE, "amount": STATE_DUE},
        {"payer": COUNTY, "amount": COUNTY_DUE},
    ]


def test_what_each_payer_owes_on_the_position_and_portal_is_the_schedules_split(manager, tmp_path):
    """The ledger booked each payer's receivable by its split: the position, the portal and
    the schedule give the same figures (103 600 € due from the département, 34 720 €
    received; 40 000 € from the State)."""
    load(tmp_path, split_deal())
    programme = Programme.objects.get(slug=SLUG)
    plan = schedule_json()["outcome_payments"]
    totals = {p["payer"]: p["amount"] for p in plan["payer_totals"]}
    payers = programme_position(programme=programme).payers
    position = {p.payer: (p.due, p.received) for p in payers}
    assert position == {STATE: (totals[STATE], 0), COUNTY: (totals[COUNTY], RECEIVED)}
    assert totals == {STATE: STATE_DUE, COUNTY: COUNTY_DUE}

    client = Client()
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    page = client.get(
        reverse("payments_portal:outcome-payments", kwargs={"programme_id": programme.pk})
    ).content.decode()
    for slug, due in ((STATE, "40,000.00"), (COUNTY, "103,600.00")):
        row = page.split(f'<tr data-payer="{slug}">', 1)[1].split("</tr>", 1)[0]
        assert f'<td class="num" data-figure="due">€{due}</td>' in row, row
    home = client.get(
        reverse("portal:programme-home", kwargs={"programme_id": programme.pk})
    ).content.decode()
    assert "by cohort or metric" in home


def test_programme_dump_gives_back_the_split_and_loads_the_same_programme(manager, tmp_path):
    load(tmp_path, split_deal())
    out = StringIO()
    call_command("programme_dump", SLUG, stdout=out)
    dumped = json.loads(out.getvalue())
    assert dumped["payer_shares"] == split_deal()["payer_shares"]
    payers = {p["organisation"]: p.get("payer_share") for p in dumped["parties"]}
    assert payers[STATE] == "100" and payers[COUNTY] is None
    dumped["programme"]["slug"] = "jardins-copy"
    load(tmp_path, dumped, "copy.json")
    out = StringIO()
    call_command("programme_dump", "jardins-copy", stdout=out)
    assert json.loads(out.getvalue()) == dumped
    copy_plan = schedule_json("jardins-copy")["outcome_payments"]
    assert {p["payer"]: p["amount"] for p in copy_plan["payer_totals"]} == {
        STATE: STATE_DUE,
        COUNTY: COUNTY_DUE,
    }


def test_a_split_short_of_100_is_refused_naming_the_cohort_and_the_payers(manager, tmp_path):
    document = split_deal()
    document["payer_shares"][0]["shares"] = [
        {"payer": COUNTY, "share": "60"},
        {"payer": STATE, "share": "39.9999"},
    ]
    with pytest.raises(CommandError) as caught:
        load(tmp_path, document)
    assert (
        "payer_shares[0].shares: the shares of departement-13 60, etat 39.9999 sum to "
        "99.9999, not exactly 100 (cohorts 2026; metrics every metric)"
    ) in str(caught.value)
    assert not Programme.objects.filter(slug=SLUG).exists()


def test_a_payer_with_no_share_and_no_split_is_refused(manager, tmp_path):
    document = split_deal()
    document["payer_shares"][0]["shares"] = [{"payer": STATE, "share": "100"}]
    with pytest.raises(CommandError) as caught:
        load(tmp_path, document)
    assert "outcome payer 'departement-13' has no payer_share and no payer split" in str(
        caught.value
    )
    # Without the section, the payer's missing share is the parties' own error.
    del document["payer_shares"]
    with pytest.raises(CommandError, match=r"parties\[1\].payer_share"):
        load(tmp_path, document)


def test_a_split_naming_an_unknown_cohort_is_refused(manager, tmp_path):
    document = copy.deepcopy(split_deal())
    document["payer_shares"][0]["cohorts"] = ["2031"]
    with pytest.raises(CommandError, match=r"payer_shares\[0\].cohorts\[0\]: unknown cohort"):
        load(tmp_path, document)


def test_a_capped_county_owes_its_cap_on_the_schedule_the_position_and_the_dump(manager, tmp_path):
    """The département's cap is 100 000 €: of the 103 600 € its cohort earns, in the deal's
    order (both counts dated at the end of period 2026, then by metric code: in work at
    6 months 54 000 €, then training 49 600 €), training pays 46 000 € and 3 600 € is due
    from no one. The State still owes its 40 000 €; the ledger books 100 000 € due from
    the département."""
    document = split_deal()
    for party in document["parties"]:
        if party["organisation"] == COUNTY:
            party["payer_cap"] = 10_000_000
    load(tmp_path, document)
    plan = schedule_json()["outcome_payments"]
    assert plan["payer_totals"] == [
        {"payer": STATE, "amount": STATE_DUE},
        {"payer": COUNTY, "amount": 10_000_000},
    ]
    assert [
        (n["metric"], n["cohort"], n["reason"], n["payer"], n["amount"])
        for n in plan["not_payable"]
    ] == [("training", "2026", "payer_cap", COUNTY, 360_000)]
    assert {"cap": "payer_cap", "payer": COUNTY, "used": 10_000_000, "remaining": 0}.items() <= (
        next(h for h in plan["headroom"] if h["cap"] == "payer_cap").items()
    )
    programme = Programme.objects.get(slug=SLUG)
    position = {p.payer: p.due for p in programme_position(programme=programme).payers}
    assert position == {STATE: STATE_DUE, COUNTY: 10_000_000}

    out = StringIO()
    call_command("programme_dump", SLUG, stdout=out)
    parties = {p["organisation"]: p for p in json.loads(out.getvalue())["parties"]}
    assert parties[COUNTY]["payer_cap"] == 10_000_000 and "payer_cap" not in parties[STATE]
    text = StringIO()
    call_command("schedule", SLUG, stdout=text)
    assert (
        "not payable (payer_cap): training / 2026 / 2026: €3,600.00 from departement-13"
        in text.getvalue()
    )


def test_only_an_outcome_payer_has_a_cap(manager, tmp_path):
    document = split_deal()
    document["parties"][2]["payer_cap"] = 100
    with pytest.raises(CommandError, match=r"parties\[2\].payer_cap: only outcome payers"):
        load(tmp_path, document)


def test_a_payers_notice_says_its_share_depends_on_the_cohort_and_lists_its_split(
    manager, tmp_path
):
    """The département's notice: its 103 600 € line by line (its part of each line), and
    no single percentage, which would be wrong for the State's cohort."""
    from reports.notices import notice_data
    from reports.selectors.state import chain_state
    from sib.models import Organisation

    load(tmp_path, split_deal())
    programme = Programme.objects.get(slug=SLUG)
    data = notice_data(
        programme=programme,
        payer=Organisation.objects.get(slug=COUNTY),
        language="en",
        state=chain_state(programme=programme),
    )
    assert data.payer_share_bp is None
    assert sum(line.amount for line in data.lines) == COUNTY_DUE


def test_activation_refuses_a_payer_no_share_and_no_split_would_ever_make_pay(manager, tmp_path):
    """A draft whose département pays by a split activates; a payer added later with no
    share and named by no split would never pay, so activation refuses, naming it."""
    from django.core.exceptions import ValidationError

    from sib import services
    from sib.models import Organisation

    document = split_deal()
    del document["history"], document["memberships"]
    document["programme"]["status"] = "draft"
    load(tmp_path, document)
    programme = Programme.objects.get(slug=SLUG)
    fund = Organisation.objects.create(slug="fonds", name="Fonds", kinds=["outcome_payer"])
    services.programme_party_add(programme=programme, organisation=fund, role="outcome_payer")
    # The refusal is in the active language (issue 14): English here.
    with pytest.raises(ValidationError) as caught, translation.override("en"):
        services.programme_activate(programme=programme)
    assert "outcome payer 'fonds' has no payer_share and no payer split names it" in str(
        caught.value
    )
    programme.refresh_from_db()
    assert programme.status == "draft"


@pytest.mark.parametrize(
    "lang, by_split", [("en", "by cohort or metric"), ("fr", "selon la cohorte ou l’indicateur")]
)
def test_the_public_report_prints_no_single_share_for_payers_paying_by_split(
    manager, tmp_path, lang, by_split
):
    """The State's programme-wide 100 % holds only where no split applies: the public report
    says "by cohort or metric" for each payer, as the payer's notice does, never "100 %"."""
    from reports.services import report_render
    from sib.models import Organisation
    from tests.reports.support import pdf_text

    load(tmp_path, split_deal())
    programme = Programme.objects.get(slug=SLUG)
    text = " ".join(
        pdf_text(report_render(programme=programme, edition="public", language=lang)).split()
    )
    for slug in (STATE, COUNTY):
        name = Organisation.objects.get(slug=slug).name
        assert f"{name} ({by_split})" in text
    assert "100 %" not in text and "100%" not in text
