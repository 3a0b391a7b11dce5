"""The schedule page shows each investor's MOIC and XIRR to date beside the projection at
100 %, explained by the same sentence the manager PDF prints, in the same number format."""

import html as html_lib
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from payments import services as payments
from reports.rendering.labels import label

pytestmark = pytest.mark.django_db


def _page(user, programme, language):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(reverse("payments_portal:schedule", args=[programme.pk]))
    assert response.status_code == 200
    return html_lib.unescape(response.content.decode())


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
    payments.drawdown_record(
        commitment=commitment, called_on=date(2026, 2, 1), amount=200_000, actor=None
    )
    return cast


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_page_explains_the_metrics_with_the_pdf_sentence(drawn, language):
    page = _page(drawn.users["fund_manager"], drawn.own, language)
    assert label(language, "metrics_note") in page


@pytest.mark.parametrize(
    ("language", "to_date", "projected"),
    [("fr", "À date", "Projeté à 100\u00a0%"), ("en", "To date", "Projected at 100\u00a0%")],
)
def test_to_date_and_projected_at_100_sit_side_by_side(drawn, language, to_date, projected):
    page = _page(drawn.users["fund_manager"], drawn.own, language)
    assert to_date in page
    assert projected in page
    row = page.split(f'data-investor="{drawn.investor_org.slug}"')[1].split("</tr>")[0]
    assert row.count("data-moic=") == 2
    assert row.count("data-xirr=") == 2


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_undefined_metric_reads_as_in_the_pdf(drawn, language):
    # Drawn, nothing returned: MOIC 0 to date, XIRR undefined (it does not converge).
    page = _page(drawn.users["fund_manager"], drawn.own, language)
    row = page.split(f'data-investor="{drawn.investor_org.slug}"')[1].split("</tr>")[0]
    to_date = row.split('data-xirr="to-date">')[1].split("</td>")[0]
    assert label(language, "not_defined") in to_date


@pytest.mark.parametrize(("language", "zero"), [("fr", "0,00×"), ("en", "0.00×")])
def test_moic_is_printed_as_a_multiple_like_the_pdf(drawn, language, zero):
    page = _page(drawn.users["fund_manager"], drawn.own, language)
    row = page.split(f'data-investor="{drawn.investor_org.slug}"')[1].split("</tr>")[0]
    moic = row.split('data-moic="to-date">')[1].split("</td>")[0]
    assert moic == zero
