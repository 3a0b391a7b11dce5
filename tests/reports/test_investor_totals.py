"""Investor totals a reader who does not see investors may read (issue 12, part 5).

A total of one investor's money is that investor's figure; a total of two is the other's
figure to either of them, once it subtracts its own. So a public funder, an investor and
anything published read a total of investors' money (committed, drawn, repaid, returns,
guarantee money, distributions) only when it sums at least three investors, and a
breakdown by tranche only when every part of it does (sib.privacy.investor_totals_shown,
docs/reports.md "Privacy of what is shown"). Fund managers see every investor by name.
"""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from payments import services as payments
from payments.models import Tranche
from reports.services import report_render
from sib.models import Organisation
from tests.cast import Cast, make_cast
from tests.reports.conftest import Bond
from tests.reports.support import money, pdf_text

D = date


def _aggregates(bond: Bond, user) -> list[dict]:  # type: ignore[no-untyped-def]
    response = bond.client(user).get(f"/api/programmes/{bond.programme.pk}/commitments/aggregates/")
    assert response.status_code == 200, response.content
    return response.json()


def _totals(client, programme_id: int) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/programmes/{programme_id}/position/")
    assert response.status_code == 200, response.content
    return response.json()["totals"]


def _add_investors(bond: Bond, tranche: str, count: int, amount: int) -> None:
    for i in range(count):
        org = Organisation.objects.create(
            slug=f"{bond.programme.slug}-{tranche}-extra{i}",
            name=f"Investisseur {tranche} {i}",
            kinds=["investor"],
        )
        commitment = payments.commitment_create(
            tranche=Tranche.objects.get(programme=bond.programme, key=tranche),
            investor=org,
            amount=amount,
            committed_on=D(2026, 1, 1),
        )
        payments.drawdown_record(
            commitment=commitment, called_on=D(2026, 3, 1), amount=amount // 2, actor=bond.manager
        )


# --- per tranche: commitment_aggregate_list ----------------------------------------------


def test_a_public_funder_reads_no_tranche_money_while_a_tranche_has_fewer_than_3_investors(
    bond: Bond,
):
    # Senior: the bank and the foundation; junior: the fund alone; guarantee: the guarantor.
    rows = _aggregates(bond, bond.funder)
    assert [(r["tranche"], r["investors"]) for r in rows] == [
        ("senior", 2),
        ("junior", 1),
        ("guarantee", 1),
    ]
    for row in rows:
        assert row["disclosed"] is False
        assert row["committed"] is None and row["drawn"] is None
    body = json.dumps(rows)
    # The fund's commitment and drawdown (junior), the guarantor's cover, and the senior
    # total (the bank's, less the foundation's own, would be the other's).
    for figure in ("20000000", "10000000", "15000000", "90000000", "46234567"):
        assert figure not in body, figure


def test_the_fund_manager_reads_every_tranche_total(bond: Bond):
    rows = {r["tranche"]: r for r in _aggregates(bond, bond.manager)}
    assert rows["senior"]["committed"] == 90_000_000
    assert rows["senior"]["drawn"] == 45_000_000 + 1_234_567
    assert rows["junior"]["committed"] == 20_000_000 and rows["junior"]["drawn"] == 10_000_000
    assert rows["guarantee"]["committed"] == 15_000_000
    assert all(r["disclosed"] for r in rows.values())


def test_tranches_of_3_investors_each_are_shown_to_a_funder_but_a_lone_guarantor_is_not(
    bond: Bond,
):
    _add_investors(bond, "senior", 1, 4_000_000)
    _add_investors(bond, "junior", 2, 2_000_000)
    rows = {r["tranche"]: r for r in _aggregates(bond, bond.funder)}
    assert rows["senior"]["disclosed"] and rows["senior"]["committed"] == 94_000_000
    assert rows["junior"]["disclosed"] and rows["junior"]["committed"] == 24_000_000
    assert rows["junior"]["drawn"] == 10_000_000 + 2 * 1_000_000
    assert rows["guarantee"]["disclosed"] is False and rows["guarantee"]["committed"] is None


def test_one_small_tranche_holds_back_the_others_so_that_no_total_gives_it_away(bond: Bond):
    # Senior 3, junior 1: senior shown beside the programme's lender total (3 + 1 lenders)
    # would give the fund's figures by subtraction.
    _add_investors(bond, "senior", 1, 4_000_000)
    rows = {r["tranche"]: r for r in _aggregates(bond, bond.funder)}
    assert rows["senior"]["investors"] == 3
    assert rows["senior"]["disclosed"] is False and rows["senior"]["committed"] is None
    assert _totals(bond.client(bond.funder), bond.programme.pk)["committed"] == 114_000_000


def test_an_investor_reads_no_aggregate_at_all(bond: Bond):
    client = bond.client(bond.investor)
    url = f"/api/programmes/{bond.programme.pk}/commitments/aggregates/"
    assert client.get(url).status_code == 403
    assert _totals(client, bond.programme.pk) == {}


# --- programme totals: position_retrieve -------------------------------------------------


def test_a_funder_reads_the_lenders_totals_of_3_lenders_but_not_a_lone_guarantors(bond: Bond):
    totals = _totals(bond.client(bond.funder), bond.programme.pk)
    assert totals["committed"] == 110_000_000
    assert totals["drawn"] == 56_234_567
    # One guarantor: what it was called for and paid is its own figure; what was
    # distributed, less the lenders' repayments, would be its reimbursement.
    assert totals["guarantee_called"] is None
    assert totals["guarantee_paid"] is None
    assert totals["distributed"] is None
    # Payers' totals are the payers' own: always there.
    assert isinstance(totals["due"], int) and isinstance(totals["outstanding"], int)


def test_the_fund_manager_reads_every_position_total(bond: Bond):
    totals = _totals(bond.client(bond.manager), bond.programme.pk)
    assert all(isinstance(value, int) for value in totals.values()), totals


# --- programmes with one or two lenders --------------------------------------------------

# Amounts no other figure of the report contains (the cap is 1 500 000,00 €).
COMMITTED = (41_234_500, 27_654_300)
DRAWN = (12_345_600, 7_654_300)


def _lenders(prefix: str, count: int) -> Cast:
    """A programme with `count` lenders in one senior tranche; the first is cast's investor."""
    cast = make_cast(prefix)
    tranche = payments.tranche_create(
        programme=cast.own, key="senior", name="Senior", kind="senior_loan", priority=1,
        cap_type="annual_rate", cap_value=Decimal("0.05"),
    )  # fmt: skip
    organisations = [cast.investor_org] + [
        Organisation.objects.create(
            slug=f"{prefix}-lender{i}", name=f"Prêteur {i}", kinds=["investor"]
        )
        for i in range(1, count)
    ]
    for i, organisation in enumerate(organisations):
        commitment = payments.commitment_create(
            tranche=tranche, investor=organisation, amount=COMMITTED[i], committed_on=D(2026, 1, 1)
        )
        payments.drawdown_record(
            commitment=commitment, called_on=D(2026, 2, 1), amount=DRAWN[i], actor=None
        )
    return cast


def _figures(count: int) -> list[int]:
    """The sums a reader could read one lender's figures from (and each one's own)."""
    return [sum(COMMITTED[:count]), sum(DRAWN[:count]), *COMMITTED[:count], *DRAWN[:count]]


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 2])
def test_with_fewer_than_3_lenders_a_funder_reads_no_lender_total(count: int):
    cast = _lenders(f"tot{count}", count)
    client = Client()
    client.force_login(cast.users["public_funder"])
    totals = _totals(client, cast.own.pk)
    for key in ("committed", "drawn", "principal_repaid", "return_paid", "principal_outstanding"):
        assert totals[key] is None, key
    body = json.dumps(totals)
    for figure in _figures(count):
        assert str(figure) not in body, figure


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("count", [1, 2])
def test_the_public_edition_prints_no_investor_total_of_fewer_than_3_lenders(count, lang):
    # Published, it reaches the investors: with two, each would read the other's figures
    # as the total less its own statement.
    cast = _lenders(f"pub{count}{lang}", count)
    text = pdf_text(report_render(programme=cast.own, edition="public", language=lang))
    flat = " ".join(text.split())
    for figure in _figures(count):
        assert money(figure, lang) not in flat, figure
    note = {"fr": "Montants non communiqués", "en": "Amounts not disclosed"}[lang]
    assert note in flat
    assert {"fr": "non communiqué", "en": "not disclosed"}[lang] in flat  # the summary's drawn


@pytest.mark.django_db
def test_the_manager_edition_still_prints_the_lone_lenders_figures():
    # The check above could fail: the same state's manager edition prints them.
    cast = _lenders("mgr1", 1)
    flat = " ".join(
        pdf_text(report_render(programme=cast.own, edition="manager", language="en")).split()
    )
    assert money(COMMITTED[0], "en") in flat and money(DRAWN[0], "en") in flat
    assert "Amounts not disclosed" not in flat


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_public_edition_of_3_lenders_prints_their_totals(bond: Bond, lang: str):
    flat = " ".join(
        pdf_text(report_render(programme=bond.programme, edition="public", language=lang)).split()
    )
    assert money(110_000_000, lang) in flat and money(56_234_567, lang) in flat
    assert {"fr": "Montants non communiqués", "en": "Amounts not disclosed"}[lang] not in flat


def _returns_page(cast: Cast, lang: str = "en") -> str:
    client = Client()
    client.force_login(cast.users["public_funder"])
    client.cookies["django_language"] = lang
    response = client.get(reverse("reports_portal:investor-returns", args=[cast.own.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 2])
def test_the_investor_returns_page_shows_no_total_of_fewer_than_3_lenders(count: int):
    cast = _lenders(f"page{count}", count)
    html = _returns_page(cast)
    assert f'data-figure="investors">{count}<' in html
    assert 'data-figure="not-disclosed"' in html
    assert 'data-figure="committed"' not in html and 'data-figure="drawn"' not in html
    assert 'data-category="no_repayment"' in html
    for figure in _figures(count):
        assert money(figure, "en") not in html.replace("\u00a0", " "), figure


@pytest.mark.django_db
def test_the_investor_returns_page_says_why_in_french():
    html = _returns_page(_lenders("pagefr", 1), "fr")
    assert "Montants non communiqués\u00a0: avec moins de 3 investisseurs" in html
