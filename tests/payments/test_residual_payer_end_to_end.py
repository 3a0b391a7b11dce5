"""A county pays 40 % of cohort 2026 capped at 30 000 €, the State the rest (issue 15).

The demo deal (docs/programme-format.md, "Example") with a residual payer: the State's
share is "rest" programme-wide and in the split of cohort 2026, where the département
pays 40 % up to its 30 000 € cap. Loaded with `programme_load`, verified through the
history, read from the ledger (the position) and from `schedule --json`, dumped back.

Hand calculation, in the deal's order (both 2026 counts dated at the end of period 2026,
then by metric code; cohort 2027 a year later):
- in work at 6 months, 2026: 18 x 3 000 € = 54 000 €: département 40 % = 21 600 € (its
  cap leaves 8 400 €), the State 32 400 €;
- training, 2026: 62 x 800 € = 49 600 €: département 40 % = 19 840 €, its cap lets
  8 400 €; the 11 440 € it stops falls to the State: 29 760 + 11 440 = 41 200 €;
- training, 2027: 50 x 800 € = 40 000 €, all the State's (programme-wide, the rest of 0 %).
The département owes 30 000 €, the State 32 400 + 41 200 + 40 000 = 113 600 €; all
143 600 € are due, none from no one. The State paid 34 720 €.
"""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from payments.position import programme_position
from sib.demo import demo_definition
from sib.models import Organisation, Programme, ProgrammeParty
from tests.payments.test_payer_splits_end_to_end import load, schedule_json
from tests.payments.test_payer_splits_end_to_end import manager as manager  # a fixture

pytestmark = pytest.mark.django_db

SLUG = "jardins-solidaires"
COUNTY, STATE = "departement-13", "etat"
COUNTY_CAP, COUNTY_DUE, STATE_DUE, RECEIVED = 3_000_000, 3_000_000, 11_360_000, 3_472_000


def residual_deal() -> dict:
    document = demo_definition()
    for party in document["parties"]:
        if party["organisation"] == STATE:
            party["payer_share"] = "rest"
        elif party["organisation"] == COUNTY:
            del party["payer_share"]
            party["payer_cap"] = COUNTY_CAP
    document["payer_shares"] = [
        {
            "cohorts": ["2026"],
            "shares": [{"payer": COUNTY, "share": "40"}, {"payer": STATE, "share": "rest"}],
        }
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
    return document


def test_the_state_pays_the_rest_and_what_the_countys_cap_stops_on_every_reading(manager, tmp_path):
    assert "(active)" in load(tmp_path, residual_deal())
    plan = schedule_json()["outcome_payments"]
    lines = {
        (line["metric"], line["cohort"]): {p["payer"]: p["amount"] for p in line["payers"]}
        for line in plan["lines"]
    }
    assert lines == {
        ("in-work-6m", "2026"): {STATE: 3_240_000, COUNTY: 2_160_000},
        ("training", "2026"): {STATE: 4_120_000, COUNTY: 840_000},
        ("training", "2027"): {STATE: 4_000_000, COUNTY: 0},
    }
    assert all(sum(p["amount"] for p in line["payers"]) == line["amount"] for line in plan["lines"])
    assert plan["not_payable"] == []
    totals = {p["payer"]: p["amount"] for p in plan["payer_totals"]}
    assert totals == {STATE: STATE_DUE, COUNTY: COUNTY_DUE}
    headroom = next(h for h in plan["headroom"] if h["cap"] == "payer_cap")
    assert (headroom["payer"], headroom["used"], headroom["remaining"]) == (COUNTY, COUNTY_CAP, 0)

    # The ledger booked each payer's receivable at verification: the same figures.
    programme = Programme.objects.get(slug=SLUG)
    position = {
        p.payer: (p.due, p.received) for p in programme_position(programme=programme).payers
    }
    assert position == {STATE: (STATE_DUE, RECEIVED), COUNTY: (COUNTY_DUE, 0)}


def test_programme_dump_gives_back_rest_and_loads_the_same_programme(manager, tmp_path):
    load(tmp_path, residual_deal())
    out = StringIO()
    call_command("programme_dump", SLUG, stdout=out)
    dumped = json.loads(out.getvalue())
    assert dumped["payer_shares"] == residual_deal()["payer_shares"]
    parties = {p["organisation"]: p for p in dumped["parties"]}
    assert parties[STATE]["payer_share"] == "rest" and "payer_share" not in parties[COUNTY]
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


def test_two_parties_paying_the_rest_are_refused_naming_both(manager, tmp_path):
    document = residual_deal()
    document["parties"][1]["payer_share"] = "rest"
    with pytest.raises(CommandError) as caught:
        load(tmp_path, document)
    assert "parties[1].payer_share: 'departement-13' pays the rest, but 'etat' already does" in (
        str(caught.value)
    )
    assert not Programme.objects.filter(slug=SLUG).exists()


def test_fixed_shares_of_100_beside_the_residual_payer_are_refused(manager, tmp_path):
    document = residual_deal()
    document["parties"][1]["payer_share"] = "100"
    with pytest.raises(CommandError) as caught:
        load(tmp_path, document)
    assert "parties: The fixed shares sum to 100, not below 100: 'etat' would have no rest" in (
        str(caught.value)
    )


def test_a_split_with_two_residual_payers_is_refused_naming_the_cohort(manager, tmp_path):
    document = residual_deal()
    document["payer_shares"][0]["shares"][0]["share"] = "rest"
    with pytest.raises(CommandError) as caught:
        load(tmp_path, document)
    assert (
        "payer_shares[0].shares: names more than one residual payer (departement-13, etat): at "
        "most one payer per cell pays the rest (cohorts 2026; metrics every metric)"
    ) in str(caught.value)


def test_the_api_lists_the_payer_of_the_rest_and_refuses_a_second(manager, tmp_path):
    """A draft whose State pays the rest: the parties' API says so (payer_residual), and
    a second payer of the rest is refused, naming the first."""
    document = residual_deal()
    del document["history"], document["memberships"]
    document["programme"]["status"] = "draft"
    load(tmp_path, document)
    programme = Programme.objects.get(slug=SLUG)
    Organisation.objects.create(slug="fonds", name="Fonds CIS", kinds=["outcome_payer"])
    api = APIClient()
    api.force_authenticate(manager)
    listed = api.get(f"/api/programmes/{programme.pk}/parties/").json()
    rows = {row["organisation"]: row for row in listed}
    assert (rows[STATE]["payer_residual"], rows[STATE]["payer_share"]) == (True, None)
    assert rows[COUNTY]["payer_residual"] is False
    response = api.post(
        f"/api/programmes/{programme.pk}/parties/create/",
        {"organisation": "fonds", "role": "outcome_payer", "payer_residual": True},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    state = Organisation.objects.get(slug=STATE).name
    assert f"{state} already pays the rest: one payer at most pays the rest." in str(
        response.json()
    )


def test_the_database_refuses_a_second_payer_of_the_rest_or_one_with_a_share(manager, tmp_path):
    """Written past the service: PostgreSQL holds the rule (one per programme, no share)."""
    document = residual_deal()
    del document["history"], document["memberships"]
    document["programme"]["status"] = "draft"
    load(tmp_path, document)
    programme = Programme.objects.get(slug=SLUG)
    fund = Organisation.objects.create(slug="fonds", name="Fonds CIS", kinds=["outcome_payer"])
    row = {"programme": programme, "organisation": fund, "role": "outcome_payer"}
    with pytest.raises(IntegrityError, match="party_one_residual_payer"), transaction.atomic():
        ProgrammeParty.objects.create(**row, payer_residual=True)
    ProgrammeParty.objects.filter(programme=programme, payer_residual=True).update(
        payer_residual=False
    )
    no_share = pytest.raises(IntegrityError, match="party_residual_payer_has_no_share")
    with no_share, transaction.atomic():
        ProgrammeParty.objects.create(**row, payer_residual=True, payer_share=Decimal("10"))
