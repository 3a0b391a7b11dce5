"""A junior loan with capital protection: its principal back in full at maturity when the
restoration rate reaches 60 %, else a 50 % floor, the Département topping up what the
waterfall has not repaid. Loaded with `programme_load`, computed with `schedule --json`,
dumped back.

Hand calculation. The demo (docs/programme-format.md "Example"), closed, so its actual
schedule runs to its end date, 31 December 2030, the junior loan's maturity. The junior
loan drew 70 000 € + 60 000 € = 130 000 € (13 000 000 c); its principal ranks first here,
so the 39 000 € received on 20 November 2026 repay 30 % of it.
- 62 restored of 100 = 0.62 >= 0.60: 100 % owed back, 130 000 € less 39 000 € repaid:
  the Département owes fonds-impact 91 000 €;
- 48 of 100 = 0.48 < 0.60: the 50 % floor, 65 000 € less 39 000 €: 26 000 €, 20 % of
  the principal.
"""

import copy
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from payments.models import Tranche
from reports.services import report_render
from sib.models import Programme, User
from sib.programme_format import programme_definition_errors
from tests.payments.ledger_support import make_deal
from tests.payments.test_coupon_end_to_end import banded_metric, coupon_deal
from tests.reports.support import pdf_text

pytestmark = pytest.mark.django_db

SLUG = "jardins-solidaires"
REDEMPTION = {
    "maturity": "2030-12-31",
    "metric": "restoration",
    "full_at_rate": "0.60",
    "floor_percent": "50",
    "payer": "departement-13",
}


def protected_deal(restored: str = "62") -> dict[str, Any]:
    """The coupon end-to-end test's deal without the coupon, the junior loan protected."""
    document = coupon_deal(restored)
    junior = next(t for t in document["tranches"] if t["key"] == "junior")
    del junior["coupon"]
    junior["redemption"] = copy.deepcopy(REDEMPTION)
    document["programme"]["status"] = "closed"
    document["waterfall"] = [
        {"kind": "principal", "tranche": "junior"},
        {"kind": "principal", "tranche": "senior"},
        {"kind": "return", "tranche": "senior"},
        {"kind": "guarantee_reimbursement", "tranche": "guarantee"},
        {"kind": "residual_to_payer"},
    ]
    document["history"]["payments_received"][0]["amount"] = 3_900_000
    return document


@pytest.fixture
def manager():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create_superuser("root", password="pw-123456789")


def load(tmp_path: Path, document: dict) -> str:
    path = tmp_path / "deal.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    out = StringIO()
    call_command("programme_load", str(path), manager="root", stdout=out)
    return out.getvalue()


def schedule(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("schedule", SLUG, *args, json=True, stdout=out)
    return json.loads(out.getvalue())


def test_at_or_above_the_rate_the_payer_tops_up_to_the_whole_principal(manager, tmp_path):
    """62 % >= 60 %: 130 000 € - 39 000 € = 91 000 € (module docstring)."""
    load(tmp_path, protected_deal("62"))
    document = schedule()
    assert document["schedule"]["redemptions"] == [
        {
            "amount": 9_100_000,
            "on": "2030-12-31",
            "owed": 13_000_000,
            "paid_to": [["fonds-impact", 9_100_000]],
            "payer": "departement-13",
            "percent": "100",
            "principal": 13_000_000,
            "rate": "0.6200",
            "repaid": 3_900_000,
            "tranche": "junior",
        }
    ]
    [junior] = [i for i in document["investors"] if i["investor"] == "fonds-impact"]
    assert junior["proposed_principal_repayment"] == 13_000_000
    assert junior["outstanding_principal"] == 0


def test_below_the_rate_the_floor_less_what_the_waterfall_repaid(manager, tmp_path):
    """48 % < 60 %: the 50 % floor, 65 000 € - 39 000 € = 26 000 €, 20 % of principal."""
    load(tmp_path, protected_deal("48"))
    [redemption] = schedule()["schedule"]["redemptions"]
    assert (redemption["percent"], redemption["owed"], redemption["amount"]) == (
        "50",
        6_500_000,
        2_600_000,
    )


def test_an_open_programme_books_no_redemption_until_it_ends(manager, tmp_path):
    """Active: the actual schedule has no end yet, nothing is booked; a projection runs to
    31 December 2030 and books it."""
    document = protected_deal()
    document["programme"]["status"] = "active"
    load(tmp_path, document)
    assert "redemptions" not in schedule()["schedule"]
    assert schedule("--scenario", "100")["schedule"]["redemptions"][0]["on"] == "2030-12-31"


def test_programme_dump_gives_back_the_redemption_as_loaded(manager, tmp_path):
    load(tmp_path, protected_deal())
    out = StringIO()
    call_command("programme_dump", SLUG, stdout=out)
    tranches = {t["key"]: t for t in json.loads(out.getvalue())["tranches"]}
    assert tranches["junior"]["redemption"] == REDEMPTION
    assert "redemption" not in tranches["senior"]


@pytest.mark.parametrize(
    ("tranche", "change", "path"),
    [
        (1, {"metric": "training"}, r"tranches\[1\]\.redemption\.metric"),
        (1, {"metric": "nowhere"}, r"tranches\[1\]\.redemption\.metric"),
        (1, {"floor_percent": "150"}, r"tranches\[1\]\.redemption\.floor_percent"),
        (1, {"full_at_rate": "60"}, r"tranches\[1\]\.redemption\.full_at_rate"),
        (1, {"payer": "nobody"}, r"tranches\[1\]\.redemption\.payer"),
        (1, {"early": [{"year": 0, "percent": "75"}]}, r"tranches\[1\]\.redemption\.early\[0\]"),
        (1, {"early": [{"year": 4, "percent": "175"}]}, r"tranches\[1\]\.redemption\.early\[0\]"),
        (1, {"when": "2029-06-30"}, r"tranches\[1\]\.redemption\.when"),
        (2, {}, r"tranches\[2\]\.redemption"),
    ],
)
def test_a_redemption_that_is_not_one_is_refused_at_load_naming_its_path(
    manager, tmp_path, tranche, change, path
):
    document = protected_deal()
    document["tranches"][tranche]["redemption"] = {**REDEMPTION, **change}
    with pytest.raises(CommandError, match=path):
        load(tmp_path, document)
    assert not Programme.objects.filter(slug=SLUG).exists()


def test_a_redemption_payer_that_is_not_an_outcome_payer_is_refused_at_load(manager, tmp_path):
    """A party that is no outcome payer (here the intermediary) would owe a due that no
    position, notice or report shows and whose payment nobody could record."""
    document = protected_deal("62")
    junior = next(t for t in document["tranches"] if t["key"] == "junior")
    junior["redemption"]["payer"] = "impact-partenaires"
    with pytest.raises(CommandError) as refused:
        load(tmp_path, document)
    assert (
        "tranches[1].redemption.payer: 'impact-partenaires' is not an outcome payer of the "
        "programme: a redemption's payer must be one of its outcome payers."
    ) in str(refused.value)
    assert not Programme.objects.filter(slug=SLUG).exists()
    with translation.override("fr"):
        errors = dict(programme_definition_errors(document))
    assert errors["tranches[1].redemption.payer"] == (
        "«\u00a0impact-partenaires\u00a0» n’est pas un tiers-payeur du programme\u00a0: "
        "le payeur d’un remboursement doit être l’un de ses tiers-payeurs."
    )


def redeemed_early_deal() -> dict[str, Any]:
    """Active, the junior loan redeemable early at 75 % in year 4, redeemed 30 June 2029."""
    document = protected_deal()
    document["programme"]["status"] = "active"
    junior = next(t for t in document["tranches"] if t["key"] == "junior")
    junior["redemption"]["early"] = [{"year": 4, "percent": "75"}]
    document["variations"] = [
        {
            "kind": "early_redemption",
            "effective_date": "2029-06-30",
            "reason": "Investors redeemed at the year-4 review",
        }
    ]
    return document


def test_an_early_redemption_in_year_4_owes_75_percent_and_ends_the_schedule(manager, tmp_path):
    """Redeemed on 30 June 2029, year 4 from 1 January 2026: 75 % of 130 000 € = 97 500 €
    less the 39 000 € repaid: the Département owes 58 500 €. The schedule ends that day
    (return stops, guarantees are called then), the projections too."""
    load(tmp_path, redeemed_early_deal())
    document = schedule()
    assert document["end_date"] == "2029-06-30"
    [redemption] = document["schedule"]["redemptions"]
    assert (redemption["on"], redemption["percent"], redemption["rate"]) == (
        "2029-06-30",
        "75",
        None,
    )
    assert (redemption["owed"], redemption["amount"]) == (9_750_000, 5_850_000)
    assert schedule("--scenario", "100")["end_date"] == "2029-06-30"


def test_programme_dump_gives_back_the_early_redemption(manager, tmp_path):
    load(tmp_path, redeemed_early_deal())
    out = StringIO()
    call_command("programme_dump", SLUG, stdout=out)
    dumped = json.loads(out.getvalue())
    assert [v["kind"] for v in dumped["variations"]] == ["early_redemption"]
    junior = next(t for t in dumped["tranches"] if t["key"] == "junior")
    assert junior["redemption"]["early"] == [{"year": 4, "percent": "75"}]


def test_an_early_redemption_without_a_redemption_term_is_refused(manager, tmp_path):
    document = redeemed_early_deal()
    del document["tranches"][1]["redemption"]
    with pytest.raises(CommandError, match=r"variations\[0\]\.kind"):
        load(tmp_path, document)


def test_the_api_creates_and_shows_a_redemption_and_refuses_a_payer_not_a_party():
    """The redemption's payer is an outcome payer of the programme: an organisation of
    another programme is not, nor a party of this one in another role (its investor)."""
    deal = make_deal("api")
    banded_metric(deal.programme, "restoration")
    make_deal("other")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(deal.manager)
    url = f"/api/programmes/{deal.programme.pk}/tranches/create/"
    body = {"key": "bond", "name": "Bond", "kind": "senior_loan", "priority": 7}
    terms = {**REDEMPTION, "payer": deal.payer.slug}
    created = client.post(url, {**body, "redemption": terms}, "json")
    assert created.status_code == 201, created.content
    assert created.json()["redemption"] == terms
    body = {**body, "key": "bond2", "priority": 8}
    for change, field in [
        ({"payer": "other-payer"}, "redemption.payer"),
        ({"payer": deal.investor.slug}, "redemption.payer"),
        ({"metric": "absent"}, "redemption.metric"),
        ({"floor_percent": "101"}, "redemption"),
    ]:
        refused = client.post(url, {**body, "redemption": {**terms, **change}}, "json")
        assert refused.status_code == 400
        assert {e["field"] for e in refused.json()["errors"]} == {field}
    assert not Tranche.objects.filter(programme=deal.programme, key="bond2").exists()


def test_a_programme_terminated_before_its_early_redemption_is_not_redeemed(manager, tmp_path):
    """Terminated on 31 December 2028, before the redemption agreed for 30 June 2029: the
    schedule ends at the termination, nothing is redeemed (the guarantees answer)."""
    document = redeemed_early_deal()
    document["programme"].update(
        status="terminated", termination_date="2028-12-31", termination_reason="Payer exit"
    )
    load(tmp_path, document)
    document = schedule()
    assert document["end_date"] == "2028-12-31"
    assert "redemptions" not in document["schedule"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["Early redemption", "principal redeemed early: outcomes from this date"]),
        ("fr", ["Remboursement anticipé", "remboursé par anticipation : les résultats"]),
    ],
)
def test_the_manager_report_lists_the_early_redemption(manager, tmp_path, lang, expected):
    load(tmp_path, redeemed_early_deal())
    programme = Programme.objects.get(slug=SLUG)
    flat = " ".join(
        pdf_text(report_render(programme=programme, edition="manager", language=lang)).split()
    )
    for text in expected:
        assert text in flat, text


@pytest.mark.parametrize(
    ("lang", "wording"),
    [
        ("en", "at a rate of restoration of 60\u00a0% or more, else 50\u00a0%"),
        ("fr", "31 décembre 2030 si le taux de restoration atteint 60\u00a0%, sinon 50\u00a0%"),
    ],
)
def test_the_tranches_page_states_the_redemption(manager, tmp_path, lang, wording):
    load(tmp_path, protected_deal())
    client = Client()
    client.force_login(manager)
    client.cookies["django_language"] = lang
    programme = Programme.objects.get(slug=SLUG)
    response = client.get(
        reverse("payments_portal:investors", kwargs={"programme_id": programme.pk})
    )
    assert response.status_code == 200
    assert wording in response.content.decode()


def test_the_fund_manager_redeems_early_through_the_api_once(manager, tmp_path):
    """Active, the junior loan protected: redeemed early on 30 June 2029 through the API;
    a second early redemption is refused on kind."""
    document = redeemed_early_deal()
    del document["variations"]
    load(tmp_path, document)
    programme = Programme.objects.get(slug=SLUG)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(manager)
    url = f"/api/programmes/{programme.pk}/variations/create/"
    body = {"kind": "early_redemption", "effective_date": "2029-06-30", "reason": "Year 4"}
    created = client.post(url, body, format="json")
    assert created.status_code == 201, created.content
    assert schedule()["schedule"]["redemptions"][0]["amount"] == 5_850_000
    again = client.post(url, {**body, "effective_date": "2029-07-01"}, format="json")
    assert again.status_code == 400
    assert {e["field"] for e in again.json()["errors"]} == {"kind"}
