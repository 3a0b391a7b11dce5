"""Investor returns to date read the same everywhere: what the ledger records as paid.

"To date" is the ledger's: drawdowns out, distributions recorded in, net of reversals.
A fund manager may record less than the waterfall proposes; the portal's schedule page,
the position API and the manager PDF then all show what was recorded, never the proposal
(docs/ledger.md, "Investor returns to date"). The proposal stays the projection's."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from payments.distributions import PaidOut, distribution_record
from payments.engine.metrics import moic, xirr
from payments.models import LedgerTransaction
from payments.position import programme_position
from payments.returns import InvestorReturn, investor_returns
from payments.schedule_builder import schedule_document
from payments.services import ledger_transaction_reverse
from reports.rendering.formatting import format_multiple, format_optional_percent
from reports.services import report_render
from sib.models import ChainEntry, Membership, Organisation, User
from sib.templatetags.portal_format import money, percent
from tests.payments.test_distributions import PAID_ON, funded, proposed_lines
from tests.reports.support import money as pdf_money
from tests.reports.support import pdf_lines

pytestmark = pytest.mark.django_db

BANK = "banque-solidaire"
METRICS_TITLE = {"en": "Investor metrics", "fr": "Indicateurs par investisseur"}


def short_paid(slug: str = "short-paid"):  # type: ignore[no-untyped-def]
    """Record the waterfall's proposal with the bank's senior principal cut by half."""
    deal = funded(slug)
    lines = []
    for line in proposed_lines(deal):
        if (line.step_kind, line.recipient) == ("principal", BANK):
            line = PaidOut(line.step_kind, line.recipient, line.amount // 2, line.tranche)
        lines.append(line)
    distribution_record(
        programme=deal.programme,
        paid_on=PAID_ON,
        lines=lines,
        actor=deal.manager,
        reason="half held back at the bank's request",
    )
    return deal


def bank_returns(deal) -> InvestorReturn:  # type: ignore[no-untyped-def]
    [bank] = [r for r in investor_returns(programme=deal.programme) if r.investor == BANK]
    return bank


def portal_row(deal, investor: str, language: str) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = language
    response = client.get(reverse("payments_portal:schedule", args=[deal.programme.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    return page.split(f'data-investor="{investor}"')[1].split("</tr>")[0]


def plain(text: str) -> str:
    """Return text with its non-breaking spaces made plain, as read out of a PDF."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def cell(row: str, attribute: str) -> str:
    return row.split(f"{attribute}>")[1].split("</td>")[0]


def pdf_metrics_row(deal, name: str, language: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the manager PDF's investor-metrics cells after the investor's name:
    tranche, committed, drawn, distributed, XIRR, MOIC, DPI."""
    pdf = report_render(programme=deal.programme, edition="manager", language=language)
    lines = pdf_lines(pdf)
    # The title appears in the contents first, then over the table.
    start = max(i for i, line in enumerate(lines) if line == METRICS_TITLE[language])
    index = lines.index(name, start)
    return lines[index + 1 : index + 8]


def test_the_recorded_distribution_is_below_the_waterfalls_proposal():
    deal = short_paid()
    document = schedule_document(programme=deal.programme)
    proposed = next(i for i in document["investors"] if i["investor"] == BANK)
    bank = bank_returns(deal)
    assert 0 < bank.returned < proposed["proposed_returned"]
    [position] = [i for i in programme_position(programme=deal.programme).investors
                  if i.investor == BANK]  # fmt: skip
    assert bank.returned == position.principal_repaid + position.return_paid


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_portal_page_and_the_manager_pdf_show_the_same_returns_to_date(language):
    # Before one selector, the page read 0,10× (the proposal) and the PDF 0,05× (the ledger).
    deal = short_paid()
    bank = bank_returns(deal)
    row = portal_row(deal, BANK, language)
    tranche, _committed, drawn, returned, rate, multiple, _dpi = pdf_metrics_row(
        deal, bank.name, language
    )
    figure = format_multiple(bank.moic.value, language)
    assert cell(row, 'data-moic="to-date"') == multiple == figure
    assert returned == pdf_money(bank.returned, language)
    assert drawn == pdf_money(bank.drawn, language)
    assert tranche == bank.tranche_name
    # XIRR: one figure, printed to 0.1 point in the PDF and 0.01 on the page.
    assert rate == plain(format_optional_percent(bank.xirr.value, language))
    with translation.override(language):
        assert cell(row, 'data-xirr="to-date"') == percent(bank.xirr.value, 2)
        assert cell(row, "data-principal-repaid") == money(bank.principal_repaid, "EUR")


def test_the_position_api_gives_each_investor_its_returns_to_date():
    deal = short_paid()
    bank = bank_returns(deal)
    investor = User.objects.create(username="short-paid-bank")
    Membership.objects.create(
        user=investor,
        programme=deal.programme,
        role="investor",
        organisation=Organisation.objects.get(slug=BANK),
    )
    for user in (deal.manager, investor):
        api = APIClient()
        api.force_authenticate(user)
        body = api.get(f"/api/programmes/{deal.programme.pk}/position/").json()
        [mine] = [i for i in body["investors"] if i["investor"] == BANK]
        assert mine["returned"] == bank.returned
        assert mine["moic"] == {"value": str(bank.moic.value), "reason": ""}
        assert mine["xirr"]["status"] == bank.xirr.status
        assert Decimal(mine["xirr"]["value"]) == bank.xirr.value
    # An investor sees its own returns only.
    api = APIClient()
    api.force_authenticate(investor)
    body = api.get(f"/api/programmes/{deal.programme.pk}/position/").json()
    assert {i["investor"] for i in body["investors"]} == {BANK}


def test_a_reversed_distribution_returns_nothing_to_date_in_the_pdf_either():
    # The PDF used to count a reversed return twice (its reversal's credit as paid).
    deal = funded("reversed-return")
    tx = distribution_record(
        programme=deal.programme,
        paid_on=PAID_ON,
        lines=[PaidOut("return", BANK, 100_000, "senior")],
        actor=deal.manager,
        reason="an early coupon",
    )
    assert bank_returns(deal).return_paid == 100_000
    ledger_transaction_reverse(original=tx, reason="paid to the wrong bank", actor=deal.manager)
    bank = bank_returns(deal)
    assert (bank.return_paid, bank.returned) == (0, 0)
    row = pdf_metrics_row(deal, bank.name, "en")
    assert row[3] == pdf_money(0, "en")


# --- any history: the selector is the position, with dates --------------------------------

INVESTORS = (("senior", BANK), ("senior", "fondation-terre"), ("junior", "fonds-impact"))
step = st.one_of(
    st.tuples(st.just("draw"), st.integers(0, 2), st.integers(1, 5_000_000)),
    st.tuples(st.just("principal"), st.integers(0, 2), st.integers(1, 2_000_000)),
    st.tuples(st.just("return"), st.integers(0, 2), st.integers(1, 500_000)),
    st.tuples(st.just("reverse"), st.integers(0, 20), st.just(0)),
)


def _apply(deal, kind: str, a: int, b: int, on: datetime.date) -> None:  # type: ignore[no-untyped-def]
    tranche, investor = INVESTORS[a % len(INVESTORS)]
    try:
        with transaction.atomic():
            if kind == "draw":
                deal.draw(tranche, investor, on, b)
            elif kind in ("principal", "return"):
                line = PaidOut(kind, investor, b, tranche)
                distribution_record(
                    programme=deal.programme, paid_on=on, lines=[line], actor=deal.manager,
                    reason="as agreed with the investor",
                )  # fmt: skip
            else:
                movements = LedgerTransaction.objects.filter(
                    programme=deal.programme,
                    kind__in=("drawdown", "distribution"),
                    reversal__isnull=True,
                ).order_by("id")
                if movements:
                    original = movements[a % len(movements)]
                    ledger_transaction_reverse(original=original, reason="error", actor=None)
    except ValidationError:
        pass  # refused (more than the cash, a date rule): nothing written


def _check(deal, seq: int | None = None) -> None:  # type: ignore[no-untyped-def]
    position = programme_position(programme=deal.programme, seq=seq)
    returns = {(r.tranche, r.investor): r
               for r in investor_returns(programme=deal.programme, seq=seq)}  # fmt: skip
    for i in position.investors:
        r = returns[(i.tranche, i.investor)]
        assert (r.drawn, r.principal_repaid, r.return_paid) == (
            i.drawn, i.principal_repaid, i.return_paid,
        )  # fmt: skip
        assert r.principal_outstanding == i.principal_outstanding
        assert r.moic == moic(drawn=i.drawn, returned=i.principal_repaid + i.return_paid)
        assert r.xirr == xirr([(m.on, m.flow) for m in r.movements])
    for combined in investor_returns(programme=deal.programme, seq=seq, by_investor=True):
        parts = [r for r in returns.values()
                 if r.investor == combined.investor and not r.is_guarantee]  # fmt: skip
        assert combined.returned == sum(r.returned for r in parts)
        assert combined.drawn == sum(r.drawn for r in parts)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(history=st.lists(step, min_size=1, max_size=8))
def test_the_returns_to_date_are_the_positions_figures_after_any_history(history):
    with transaction.atomic():
        deal = funded("returns-history")
        states = []
        for day, (kind, a, b) in enumerate(history):
            _apply(deal, kind, a, b, PAID_ON + datetime.timedelta(days=day + 1))
            _check(deal)
            states.append(ChainEntry.objects.filter(programme=deal.programme).count())
        # As of each earlier chain state too, as the reports read it.
        for seq in sorted(set(states)):
            _check(deal, seq)
        transaction.set_rollback(True)
