"""What is left under the contract cap is the cap less the outcome payments due, the rule
of the share of the cap used (payments.cap_use, issue 11): the dashboard, the position
API and the report read the same figure from the ledger's position.

The demo programme (sib.demo, `manage.py seed_demo`): a 1 500 000 € cap.
"""

from datetime import date
from fractions import Fraction

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from payments.cap_use import cap_remaining, cap_share_used
from payments.position import programme_position
from payments.selectors_portal import money_overview
from reports.selectors.report import report_data
from reports.selectors.state import chain_state
from sib.demo import DEMO_SLUG, demo_seed
from sib.models import Programme, User
from tests.payments.test_payer_splits_end_to_end import SLUG as SPLIT_SLUG
from tests.payments.test_payer_splits_end_to_end import load as load_split
from tests.payments.test_redemption_end_to_end import manager as manager  # a fixture
from tests.payments.test_redemption_end_to_end import protected_deal
from tests.payments.test_redemption_ledger import loaded
from tests.reports.test_payer_caps_shown import capped_deal

pytestmark = pytest.mark.django_db


def test_left_under_the_cap_is_the_cap_less_the_outcome_payments_due():
    """1 470 000 € due under a 1 500 000 € cap: 30 000 € left, 98 % used."""
    totals = {"due": 147_000_000 + 9_100_000, "redemption": 9_100_000}
    assert cap_remaining(totals=totals, cap=150_000_000) == 3_000_000
    assert cap_share_used(totals=totals, cap=150_000_000) == Fraction(98, 100)
    assert cap_remaining(totals=totals, cap=None) is None


def test_the_demo_dashboard_api_and_report_agree_on_the_cap():
    demo_seed()
    programme = Programme.objects.get(slug=DEMO_SLUG)
    cap = programme.contract_cap
    assert cap == 150_000_000
    totals = programme_position(programme=programme).totals
    outcome_dues = totals["due"] - totals["redemption"]
    assert outcome_dues > 0

    overview = money_overview(programme=programme, today=date(2027, 1, 1))
    assert overview.cap_remaining == cap - outcome_dues
    assert overview.cap_used == Fraction(cap - overview.cap_remaining, cap)

    manager = User.objects.get(username="manager")
    api = APIClient()
    api.force_authenticate(manager)
    answer = api.get(f"/api/programmes/{programme.pk}/position/").json()
    assert answer["contract_cap"] == {
        "cap": cap,
        "used": outcome_dues,
        "remaining": overview.cap_remaining,
    }

    report = report_data(
        programme=programme,
        edition="manager",
        language="en",
        state=chain_state(programme=programme),
    )
    assert report.summary.cap_used == overview.cap_used

    client = Client()
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("payments_portal:dashboard", args=[programme.pk])).content.decode()
    left = f"{overview.cap_remaining // 100:,}.{overview.cap_remaining % 100:02d}"
    assert f"€{left} left under the cap" in page


def test_a_redemption_owed_leaves_what_is_left_under_the_cap_unchanged(manager, tmp_path):
    """The protected deal, closed: 91 000 € of redemption owed use none of the cap."""
    programme = loaded(tmp_path, protected_deal("62"))
    totals = programme_position(programme=programme).totals
    assert totals["redemption"] == 9_100_000
    overview = money_overview(programme=programme, today=date(2031, 1, 1))
    assert programme.contract_cap is not None
    assert overview.cap_remaining == programme.contract_cap - (totals["due"] - 9_100_000)


def test_what_a_payers_own_cap_stops_is_not_counted_as_owed_under_the_contract_cap(tmp_path):
    """tests/reports/test_payer_caps_shown.py's deal: the State's own cap stops 20 000 €,
    owed by no one. The dashboard's figure left under the contract cap is the cap less
    what is owed, as the share used beside it; the schedule's headroom counts the 20 000 €
    too (what the engine priced), so the two readings disagreed by that much."""
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    User.objects.create_superuser("root", password="pw-123456789")
    load_split(tmp_path, capped_deal())
    programme = Programme.objects.get(slug=SPLIT_SLUG)
    totals = programme_position(programme=programme).totals
    cap = programme.contract_cap
    assert cap is not None
    overview = money_overview(programme=programme, today=date(2031, 1, 1))
    assert overview.cap_remaining == cap - totals["due"]
    assert overview.cap_used == Fraction(cap - overview.cap_remaining, cap)
