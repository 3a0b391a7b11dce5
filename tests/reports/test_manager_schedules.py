"""The manager edition's waterfall and scenarios: from the schedules of the report's state.

The bond of conftest gets a waterfall; the worker's recompute is called in the test (no
worker runs here), then the distributions of every payment date are recorded in the
ledger, as a fund manager would after paying them out.
"""

import datetime
import re

import pytest
from django.db.models import Sum

from payments.distributions import PaidOut, distribution_record
from payments.models import Leg, PaymentTerms, ScheduleVersion
from payments.schedule_builder import schedule_document
from payments.schedules import DEFAULT_PROJECTIONS
from payments.schedules import programme_recompute as recompute
from reports.selectors.state import chain_state
from reports.selectors_schedules import schedules_as_of
from reports.services import report_render
from sib.chain import GENESIS
from tests.reports.conftest import GUARANTOR_NAME, INVESTOR_NAMES, Bond, make_bond
from tests.reports.support import money, pdf_lines, pdf_text, value_after

WATERFALL = [
    {"kind": "principal", "tranche": "senior"},
    {"kind": "return", "tranche": "senior"},
    {"kind": "principal", "tranche": "junior"},
    {"kind": "return", "tranche": "junior"},
    {"kind": "guarantee_reimbursement", "tranche": "guarantee"},
    {"kind": "residual_to_payer"},
]


def record_distributions(bond: Bond) -> int:
    """Post what the schedule distributes on every payment date; return the total posted."""
    document = schedule_document(programme=bond.programme)
    by_date: dict[str, list[PaidOut]] = {}
    for row in document["schedule"]["distributions"]:
        by_date.setdefault(row["on"], []).append(
            PaidOut(row["step_kind"], row["recipient"], row["amount"], row["tranche"])
        )
    for on, lines in sorted(by_date.items()):
        distribution_record(
            programme=bond.programme,
            paid_on=datetime.date.fromisoformat(on),
            lines=lines,
            actor=bond.manager,
        )
    return sum(row["amount"] for row in document["schedule"]["distributions"])


def ledger_distributions(bond: Bond) -> int:
    """Return what distribution transactions paid out of programme cash, from the legs."""
    legs = Leg.objects.filter(
        transaction__programme=bond.programme,
        transaction__kind="distribution",
        transaction__reversal__isnull=True,
        account__kind="programme_cash",
    )
    return int(legs.aggregate(total=Sum("credit"))["total"] or 0)


@pytest.fixture
def paid_bond(db) -> Bond:
    bond = make_bond()
    PaymentTerms.objects.create(programme=bond.programme, waterfall=WATERFALL)
    recompute(programme_id=bond.programme.pk)
    record_distributions(bond)
    return bond


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_waterfall_totals_equal_the_ledgers_distributions(paid_bond: Bond, lang: str):
    labels = {
        "en": ("Distributed by the waterfall", "Distributions recorded in the ledger",
               "Payments received applied to dues", "Left with the payer (not claimed)",
               "Principal — Senior"),
        "fr": ("Distribué par la cascade", "Distributions enregistrées au registre",
               "Paiements reçus imputés sur des dus", "Laissé au payeur (non réclamé)",
               "Principal — Senior"),
    }[lang]  # fmt: skip
    distributed, recorded, received, residual, senior = labels
    ledger = ledger_distributions(paid_bond)
    assert ledger > 0
    lines = pdf_lines(
        report_render(programme=paid_bond.programme, edition="manager", language=lang)
    )
    assert value_after(lines, distributed) == money(ledger, lang)
    assert value_after(lines, recorded) == money(ledger, lang)
    # Everything received went to senior principal (45 M drawn, 14.07 M received).
    assert value_after(lines, senior) == money(ledger, lang)
    assert value_after(lines, received) == money(14_070_000, lang)
    assert value_after(lines, residual) == money(14_070_000 - ledger, lang)


def test_scenarios_appear_side_by_side(paid_bond: Bond):
    text = pdf_text(report_render(programme=paid_bond.programme, edition="manager", language="en"))
    lines = [line.strip() for line in text.splitlines()]
    section = lines.index("Scenario projections", lines.index("Contents") + 20)
    body = lines[section:]
    assert "No projection computed for this ledger state." not in text
    for percent in DEFAULT_PROJECTIONS:
        assert f"{percent}% of targets" in body
    assert "Capital drawn (assumed)" in body
    # Every lender has drawn already, so a projection takes what was drawn.
    drawn = 30_000_000 + 15_000_000 + 10_000_000 + 1_234_567
    assert value_after(body, "Capital drawn (assumed)") == money(drawn, "en")


def test_public_edition_never_names_an_investor_with_a_waterfall(paid_bond: Bond):
    for lang in ("fr", "en"):
        pdf = report_render(programme=paid_bond.programme, edition="public", language=lang)
        text = pdf_text(pdf)
        for name in (*INVESTOR_NAMES, GUARANTOR_NAME):
            assert name not in text
            assert name.encode() not in pdf
        assert "waterfall" not in text.lower() and "cascade" not in text.lower()


def test_stored_and_recomputed_schedules_give_the_same_pdf(paid_bond: Bond):
    programme = paid_bond.programme
    state = chain_state(programme=programme)
    stored_here = ScheduleVersion.objects.filter(programme=programme, chain_head=state.head)
    # The distributions moved the head after the recompute: nothing stored at it yet.
    assert not stored_here.exists()
    computed = schedules_as_of(programme=programme, seq=state.seq)
    before = report_render(programme=programme, edition="manager", language="fr")
    assert not stored_here.exists()  # reading stored nothing
    recompute(programme_id=programme.pk)  # stores the documents at this very head
    assert chain_state(programme=programme) == state
    assert stored_here.count() == 1 + len(DEFAULT_PROJECTIONS)
    assert schedules_as_of(programme=programme, seq=state.seq) == computed
    assert report_render(programme=programme, edition="manager", language="fr") == before


def test_a_past_state_is_computed_from_that_state(paid_bond: Bond):
    programme = paid_bond.programme
    state = chain_state(programme=programme)
    before = report_render(programme=programme, edition="manager", language="en")
    # The ledger moves on: another payment received, recomputed and stored at the new head.
    from payments import services as payments

    payments.payment_received_record(
        advance=True,  # cash received before any due: the test is not about dues
        programme=programme, payer=paid_bond.orgs["etat"], amount=5_000_000,
        received_on=datetime.date(2026, 12, 1), actor=paid_bond.manager,
    )  # fmt: skip
    recompute(programme_id=programme.pk)
    now = report_render(programme=programme, edition="manager", language="en")
    assert now != before
    # An advance is held until a due meets it: the waterfall does not run on it
    # (docs/ledger.md, "Advances"), so its figures stay those of the 140 700 € that met dues.
    # Its line says so: the money applied to dues, not every payment received (#11).
    lines = pdf_lines(now)
    assert value_after(lines, "Payments received applied to dues") == money(14_070_000, "en")
    assert not any("Outcome payments received" in line for line in lines)
    again = report_render(
        programme=programme, edition="manager", language="en", chain_head=state.head
    )
    assert again == before


def test_a_state_before_any_contract_version_has_no_schedule(db):
    bond = make_bond(slug="no-terms")
    # Creating the programme chained its first terms: only the empty chain has none.
    assert schedules_as_of(programme=bond.programme, seq=0) is None
    pdf = report_render(
        programme=bond.programme, edition="manager", language="en", chain_head=GENESIS
    )
    text = pdf_text(pdf)
    assert "No schedule at this ledger state" in text.replace("\n", " ")
    assert "No projection computed for this ledger state." in text


def test_the_schedule_has_a_chart_per_investor(paid_bond: Bond):
    from reportlab.graphics.shapes import Drawing, Rect

    from reports.rendering import ManagerRenderer
    from reports.selectors.report import report_data

    data = report_data(
        programme=paid_bond.programme,
        edition="manager",
        language="en",
        state=chain_state(programme=paid_bond.programme),
    )
    renderer = ManagerRenderer(data)
    figure = renderer.schedule_chart()[-1]
    drawing = next(f for f in figure._content if isinstance(f, Drawing))  # type: ignore[attr-defined]
    drawn = [r for r in drawing.contents if isinstance(r, Rect)
             and r.fillColor == renderer.chart_style.series[0]]  # fmt: skip
    # One bar per investor (three lenders), the legend's box above them.
    assert len(drawn) == 3 + 1
    text = pdf_text(report_render(programme=paid_bond.programme, edition="manager", language="en"))
    assert "Per investor: drawn, principal repaid, return paid" in text
    public = pdf_text(report_render(programme=paid_bond.programme, edition="public", language="en"))
    assert "Per investor" not in public


def test_a_negative_xirr_mid_life_is_explained_as_to_date(paid_bond: Bond):
    # Senior principal is partly repaid: realised flows alone give a negative XIRR, which
    # the note beside the table explains rather than leaving it to be misread.
    text = " ".join(
        pdf_text(
            report_render(programme=paid_bond.programme, edition="manager", language="en")
        ).split()
    )
    table = text[text.rindex("Investor metrics") : text.index("XIRR, MOIC and DPI to date")]
    assert re.search(r"-\d+\.\d%", table), f"no negative XIRR to explain in {table!r}"
    assert "XIRR, MOIC and DPI to date: only the cash flows already in the ledger count." in text
    assert "XIRR is therefore negative, as if the rest were lost" in text


def test_a_projection_counts_the_payments_already_received(paid_bond: Bond):
    # A projection at 0 % of the outcomes still to come still has the money already in:
    # it runs the waterfall on what was received, plus the forecast dated after it.
    actual = schedule_document(programme=paid_bond.programme)
    received = actual["schedule"]["totals"]["received"]
    assert received > 0
    last = max(p["on"] for p in actual["schedule"]["payments"])
    for percent in DEFAULT_PROJECTIONS:
        projection = schedule_document(programme=paid_bond.programme, percent=percent)
        payments = projection["schedule"]["payments"]
        already = [p for p in payments if p["on"] <= last]
        assert already == actual["schedule"]["payments"], percent
    zero = schedule_document(programme=paid_bond.programme, percent=DEFAULT_PROJECTIONS[0])
    assert zero["schedule"]["totals"]["received"] == received
