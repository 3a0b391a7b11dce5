"""Public funders see investor repayment in aggregate, the public report's figures, no names."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from payments import services as payments
from sib.models import Organisation

pytestmark = pytest.mark.django_db


def _page(user, programme, language="en"):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client.get(reverse("reports_portal:investor-returns", args=[programme.pk]))


@pytest.fixture
def drawn(cast):  # type: ignore[no-untyped-def]
    tranche = payments.tranche_create(
        programme=cast.own,
        key="senior",
        name="Senior",
        kind="senior_loan",
        priority=1,
        cap_type="annual_rate",
        cap_value=Decimal("0.05"),
    )
    commitment = payments.commitment_create(
        tranche=tranche, investor=cast.investor_org, amount=500_000, committed_on=date(2026, 1, 1)
    )
    for month, amount in ((2, 120_000), (5, 80_050)):
        payments.drawdown_record(
            commitment=commitment, called_on=date(2026, month, 1), amount=amount, actor=None
        )
    # Three lenders: with fewer, a total is one investor's figure, or the other's to each
    # of two (sib.privacy; tests/reports/test_investor_totals.py).
    for i in (1, 2):
        other = Organisation.objects.create(
            slug=f"returns-lender-{i}", name=f"Prêteur {i}", kinds=["investor"]
        )
        payments.commitment_create(
            tranche=tranche, investor=other, amount=100_000, committed_on=date(2026, 1, 1)
        )
    return cast


def test_a_public_funder_sees_the_totals_and_no_investor_name(drawn):
    response = _page(drawn.users["public_funder"], drawn.own)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="investors">3<' in html
    assert 'data-figure="committed">€7,000.00<' in html
    assert 'data-figure="drawn">€2,000.50<' in html
    assert 'data-figure="principal-repaid">€0.00<' in html
    assert 'data-category="no_repayment"' in html
    for name in (drawn.investor_org.name, "Prêteur 1", "Prêteur 2"):
        assert name not in html


def test_figures_are_formatted_in_french(drawn):
    html = _page(drawn.users["public_funder"], drawn.own, "fr").content.decode()
    assert 'data-figure="drawn">2\u202f000,50\u00a0€<' in html
    assert "Aucun remboursement pour l’instant" in html


def test_an_investor_is_refused_and_a_stranger_finds_nothing(drawn):
    assert _page(drawn.users["investor"], drawn.own).status_code == 403
    assert _page(drawn.stranger, drawn.own).status_code == 404
