"""A junior loan paid a coupon banded on a restoration rate, loaded with `programme_load`,
computed with `schedule --json` and dumped back.

Hand calculation. The demo (docs/programme-format.md "Example") starts on 1 January 2026:
coupon year 1 is 2026, measured by the restoration results of period 2026 (ending
31 December 2026). The junior loan drew 70 000 € on 15 January and 60 000 € more on 1 July;
the payment of 34 720 € on 20 November meets its coupon first (the waterfall's first step).
Principal x days: 7 000 000 c x 167 days + 13 000 000 c x 142 days = 3 015 000 000.
- 72 of 100 restored = 0.72, the 15 % band: 3 015 000 000 x 0.15 / 365 = 1 239 041.09...
  -> 12 390,41 €;
- 50 of 100 = 0.50, below every band, in the first 2 years: the minimum 2 %:
  3 015 000 000 x 0.02 / 365 = 165 205.47... -> 1 652,05 €.
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
from rest_framework.test import APIClient

from outcomes.models import Metric
from payments.models import Tranche
from reports.services import report_render
from sib.demo import demo_definition
from sib.models import Programme, User
from tests.payments.ledger_support import make_deal
from tests.reports.support import pdf_text

pytestmark = pytest.mark.django_db

SLUG = "jardins-solidaires"
EUR = 100
COUPON = {
    "metric": "restoration",
    "bands": [
        {"min_rate": "0.55", "max_rate": "0.60", "rate": "0.03"},
        {"min_rate": "0.60", "max_rate": "0.65", "rate": "0.075"},
        {"min_rate": "0.65", "max_rate": "0.70", "rate": "0.12"},
        {"min_rate": "0.70", "max_rate": None, "rate": "0.15"},
    ],
    "minimum_rate": "0.02",
    "minimum_years": 2,
}


def coupon_deal(restored: str = "72") -> dict[str, Any]:
    document = demo_definition()
    document["metrics"].append(
        {
            "code": "restoration",
            "name": "Family restoration rate",
            "definition": "Children returned to their family among those placed.",
            "unit": "participant_outcome",
            "target_value": "0.72",
            "mechanism": {
                "kind": "banded_rate",
                "basis": "per_cohort",
                "bands": [{"min_rate": "0.95", "max_rate": None, "amount": 1_000 * EUR}],
            },
            "cohorts": ["2026"],
            "periods": ["2026"],
        }
    )
    junior = next(t for t in document["tranches"] if t["key"] == "junior")
    junior["cap"] = None
    junior["coupon"] = copy.deepcopy(COUPON)
    document["waterfall"].insert(0, {"kind": "return", "tranche": "junior"})
    first = document["history"]["results"][0]
    document["history"]["results"].append(
        {
            **first,
            "metric": "restoration",
            "value": restored,
            "sample_size": 100,
            "note": f"Cohort 2026: {restored} of 100 restored.",
        }
    )
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


def junior_coupons(*args: str) -> list[tuple[str, str, int]]:
    out = StringIO()
    call_command("schedule", SLUG, *args, json=True, stdout=out)
    return [
        (d["on"], d["recipient"], d["amount"])
        for d in json.loads(out.getvalue())["schedule"]["distributions"]
        if (d["step_kind"], d["tranche"]) == ("return", "junior")
    ]


def test_the_coupon_is_the_band_of_the_years_measured_rate(manager, tmp_path):
    """72 % measured in 2026: 15 %, 12 390,41 € (module docstring)."""
    assert "(active)" in load(tmp_path, coupon_deal("72"))
    assert junior_coupons() == [("2026-11-20", "fonds-impact", 1_239_041)]


def test_below_every_band_the_first_years_earn_the_minimum(manager, tmp_path):
    """50 % measured in 2026, in the first 2 years: 2 %, 1 652,05 € (module docstring)."""
    load(tmp_path, coupon_deal("50"))
    assert junior_coupons() == [("2026-11-20", "fonds-impact", 165_205)]


def test_a_projection_prices_each_year_at_the_forecast_rate(manager, tmp_path):
    """The projections pay on 31 December each year. At 100 % the target 0.72 is forecast
    for 2026: 15 %, the 41 days from 20 November: 13 000 000 c x 0.15 x 41 / 365 =
    219 041.09... -> 2 190,41 €. At 50 %, 0.36 is below every band: 2 % (1 652,05 € on
    20 November, then 3 548 000 000 x 0.02 / 365 = 194 410.95... -> 1 944,11 € in all,
    292,06 € more); 2027 is not measured, in the first 2 years: 2 % again, 1 day of 2026
    and 364 of 2027 on 130 000 €: 2 600,00 €."""
    load(tmp_path, coupon_deal())
    assert junior_coupons("--scenario", "100")[1] == ("2026-12-31", "fonds-impact", 219_041)
    assert junior_coupons("--scenario", "50")[:3] == [
        ("2026-11-20", "fonds-impact", 165_205),
        ("2026-12-31", "fonds-impact", 29_206),
        ("2027-12-31", "fonds-impact", 260_000),
    ]


def test_programme_dump_gives_back_the_coupon_as_loaded(manager, tmp_path):
    load(tmp_path, coupon_deal())
    out = StringIO()
    call_command("programme_dump", SLUG, stdout=out)
    tranches = {t["key"]: t for t in json.loads(out.getvalue())["tranches"]}
    assert tranches["junior"]["coupon"] == COUPON
    assert tranches["junior"]["cap"] is None
    assert "coupon" not in tranches["senior"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"cap": {"type": "annual_rate", "value": "0.08"}}, r"tranches\[1\]\.coupon"),
        ({"coupon": {**COUPON, "metric": "training"}}, r"tranches\[1\]\.coupon\.metric"),
        (
            {"coupon": {**COUPON, "bands": [{"min_rate": "0.7", "rate": "1.2"}]}},
            r"tranches\[1\]\.coupon\.bands\[0\]\.rate",
        ),
        ({"coupon": {**COUPON, "minimum_years": None}}, r"tranches\[1\]\.coupon"),
        ({"coupon": {**COUPON, "cap": "0.1"}}, r"tranches\[1\]\.coupon"),
    ],
)
def test_a_coupon_that_is_not_one_is_refused_at_load_naming_its_path(
    manager, tmp_path, change, path
):
    document = coupon_deal()
    document["tranches"][1].update(change)
    with pytest.raises(CommandError, match=path):
        load(tmp_path, document)
    assert not Programme.objects.filter(slug=SLUG).exists()


WORDING = {
    "fr": (
        "coupon de 3\u00a0% à 15\u00a0% par an sur le principal selon le taux de restoration, "
        "au moins 2\u00a0% les 2 premières années"
    ),
    "en": (
        "coupon of 3% to 15% a year on principal by the rate of restoration, "
        "at least 2% in the first 2 years"
    ),
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_tranches_page_states_the_coupon(manager, tmp_path, lang):
    load(tmp_path, coupon_deal())
    client = Client()
    client.force_login(manager)
    client.cookies["django_language"] = lang
    programme = Programme.objects.get(slug=SLUG)
    response = client.get(
        reverse("payments_portal:investors", kwargs={"programme_id": programme.pk})
    )
    assert response.status_code == 200
    # The pages write every percentage with a no-break space before %, in English too.
    wording = WORDING[lang].replace("%", "\u00a0%").replace("\u00a0\u00a0", "\u00a0")
    assert wording in response.content.decode()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_manager_report_states_the_coupon_in_its_waterfall(manager, tmp_path, lang):
    load(tmp_path, coupon_deal())
    programme = Programme.objects.get(slug=SLUG)
    text = " ".join(
        pdf_text(report_render(programme=programme, edition="manager", language=lang)).split()
    )
    assert " ".join(WORDING[lang].split()) in text


def banded_metric(programme: Programme, code: str, kind: str = "banded_rate") -> None:
    mechanism = {
        "banded_rate": {
            "kind": "banded_rate",
            "basis": "per_cohort",
            "bands": [{"min_rate": "0.95", "max_rate": None, "amount": 1_000 * EUR}],
        },
        "rate_card": {"kind": "rate_card", "price": 1_000 * EUR},
    }[kind]
    Metric.objects.create(
        programme=programme,
        code=code,
        name=code,
        definition=code,
        unit="participant_outcome",
        mechanism=mechanism,
    )


def test_the_api_creates_and_shows_a_coupon_and_refuses_one_beside_a_cap():
    deal = make_deal("api")
    banded_metric(deal.programme, "restoration")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(deal.manager)
    url = f"/api/programmes/{deal.programme.pk}/tranches/create/"
    body = {"key": "bond", "name": "Bond", "kind": "senior_loan", "priority": 7}
    created = client.post(url, {**body, "coupon": COUPON}, "json")
    assert created.status_code == 201, created.content
    assert created.json()["coupon"] == COUPON
    body = {**body, "key": "bond2", "priority": 8, "coupon": COUPON}
    capped = client.post(url, {**body, "cap_type": "annual_rate", "cap_value": "0.05"}, "json")
    assert capped.status_code == 400
    assert {e["field"] for e in capped.json()["errors"]} == {"coupon"}
    broken = client.post(url, {**body, "coupon": {**COUPON, "bands": []}}, "json")
    assert broken.status_code == 400
    assert {e["field"] for e in broken.json()["errors"]} == {"coupon"}


@pytest.mark.parametrize("metric", ["training", "absent", "elsewhere"])
def test_the_api_refuses_a_coupon_not_banded_on_a_banded_rate_metric_of_the_programme(metric):
    """A coupon reads the rate a banded-rate metric measures: a rate-card metric counts
    outcomes, not a rate; a metric that is not there, or another programme's, measures none."""
    deal = make_deal("api")
    banded_metric(deal.programme, "training", kind="rate_card")
    banded_metric(make_deal("other").programme, "elsewhere")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(deal.manager)
    url = f"/api/programmes/{deal.programme.pk}/tranches/create/"
    body = {"key": "bond", "name": "Bond", "kind": "senior_loan", "priority": 7}
    refused = client.post(url, {**body, "coupon": {**COUPON, "metric": metric}}, "json")
    assert refused.status_code == 400
    assert {e["field"] for e in refused.json()["errors"]} == {"coupon.metric"}
    assert not Tranche.objects.filter(programme=deal.programme, key="bond").exists()
