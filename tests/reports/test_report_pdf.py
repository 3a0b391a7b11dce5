"""Acceptance: reports built from the database print the ledger's totals, hide what they must."""

import datetime

import pytest

from payments import services as payments
from reports.services import report_render
from tests.reports.conftest import (
    GUARANTOR_NAME,
    INVESTOR_NAMES,
    SMALL_COUNT,
    Bond,
    make_bond,
)
from tests.reports.support import (
    first_page_ink,
    ledger_totals,
    money,
    pdf_lines,
    pdf_text,
    value_after,
)

LABELS = {
    "en": {
        "paid": "Outcome payments paid",
        "due": "Payments due (verified, not yet paid)",
        "cap": "Contract cap",
        "drawn": "Capital drawn",
        "committed": "Capital committed",
        "repaid": "Principal repaid",
        "outstanding": "Principal outstanding",
        "return": "Return paid",
        "by_payer": "Total by payer",
    },
    "fr": {
        "paid": "Paiements aux résultats versés",
        "due": "Paiements dus (vérifiés, non versés)",
        "cap": "Plafond du contrat",
        "drawn": "Capital appelé",
        "committed": "Capital engagé",
        "repaid": "Principal remboursé",
        "outstanding": "Principal restant dû",
        "return": "Rendement versé",
        "by_payer": "Total par payeur",
    },
}


@pytest.mark.parametrize("edition", ["public", "manager"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_total_equals_the_ledgers_total(bond: Bond, edition: str, lang: str):
    lines = pdf_lines(report_render(programme=bond.programme, edition=edition, language=lang))
    ledger = ledger_totals(bond.programme)
    label = LABELS[lang]
    assert ledger.paid == 14_070_000  # the reversed duplicate does not count
    assert value_after(lines, label["paid"]) == money(ledger.paid, lang)
    # Due (verified, not yet paid): what verifications booked, less what was received.
    assert ledger.due > 0
    assert value_after(lines, label["due"]) == money(ledger.due - ledger.paid, lang)
    assert value_after(lines, label["cap"]) == money(bond.programme.contract_cap, lang)
    # Capital drawn is printed twice (summary, investor section): both equal the ledger.
    first = lines.index(label["drawn"])
    assert lines[first + 1] == money(ledger.drawn, lang)
    assert value_after(lines, label["drawn"], start=first + 1) == money(ledger.drawn, lang)
    assert value_after(lines, label["committed"]) == money(ledger.committed, lang)
    assert value_after(lines, label["outstanding"]) == money(ledger.principal_outstanding, lang)
    assert value_after(lines, label["repaid"]) == money(
        ledger.drawn - ledger.principal_outstanding, lang
    )
    assert value_after(lines, label["return"]) == money(0, lang)
    # The payments table's total row, and the totals by payer.
    assert value_after(lines, "Total") == money(ledger.paid, lang)
    by_payer = lines.index(label["by_payer"])
    for payer, amount in ledger.paid_by_payer.items():
        assert value_after(lines, payer, start=by_payer) == money(amount, lang)


def test_masked_counts_never_appear_in_the_public_edition(bond: Bond):
    public = pdf_lines(report_render(programme=bond.programme, edition="public", language="en"))
    manager = pdf_lines(report_render(programme=bond.programme, edition="manager", language="en"))
    row = public.index("Cohorte 2")
    assert public[row + 1 : row + 4] == ["2026 S1", "interim", "masked"]
    # After the contents, the only lines reading "7" are page totals ("Page n / ", total).
    body = public.index("Executive summary", public.index("Contents") + 2)
    for index, line in enumerate(public[body:], start=body):
        if line == str(SMALL_COUNT):
            assert public[index - 1].startswith("Page "), public[index - 3 : index + 2]
    assert "14.0%" not in public  # 7 / 50 would give the count back
    # The manager edition does show it: the check above could fail.
    row = manager.index("Cohorte 2")
    assert manager[row + 3] == str(SMALL_COUNT)


def test_a_masked_count_cannot_be_worked_out_from_the_verified_total(bond: Bond):
    # Cohort 1 achieved 42 and cohort 2 achieved 7 in the same period. With 42 printed
    # beside a total of 49, the 7 would come back by subtraction: 42 is masked too.
    public = pdf_lines(report_render(programme=bond.programme, edition="public", language="en"))
    assert value_after(public, "Verified outcomes") == "49"
    results = public.index("Results by cohort and period")
    for cohort in ("Cohorte 1", "Cohorte 2"):
        row = public.index(cohort, results)
        assert public[row + 1 : row + 4] == ["2026 S1", "interim", "masked"]
        assert public[row + 5] == "masked"  # the achievement rate would give it back
    assert "42" not in public
    assert "84.0%" not in public  # 42 / 50
    # The notice says why a count above the threshold can read "masked".
    assert "secondary suppression" in pdf_text(
        report_render(programme=bond.programme, edition="public", language="en")
    ).replace("\n", " ")


def test_investor_names_never_appear_in_the_public_edition(bond: Bond):
    for lang in ("fr", "en"):
        pdf = report_render(programme=bond.programme, edition="public", language=lang)
        text = pdf_text(pdf)
        for name in (*INVESTOR_NAMES, GUARANTOR_NAME):
            assert name not in text
            assert name.encode() not in pdf  # nor in the metadata
    manager = pdf_text(report_render(programme=bond.programme, edition="manager", language="en"))
    assert all(name in manager for name in (*INVESTOR_NAMES, GUARANTOR_NAME))


def test_rebuilding_the_same_state_gives_the_same_bytes(bond: Bond):
    for edition in ("public", "manager"):
        first = report_render(programme=bond.programme, edition=edition, language="fr")
        again = report_render(programme=bond.programme, edition=edition, language="fr")
        assert first == again


def test_a_past_state_rebuilds_identically_after_the_ledger_moved_on(bond: Bond):
    from reports.selectors.state import chain_state

    head = chain_state(programme=bond.programme).head
    before = report_render(programme=bond.programme, edition="public", language="en")
    payments.payment_received_record(
        advance=True,  # cash received before any due: the test is not about dues
        programme=bond.programme, payer=bond.orgs["dept"], amount=99_900,
        received_on=datetime.date(2026, 11, 2), actor=bond.manager,
    )  # fmt: skip
    bond.verify("in-work-6m", "c1", "2026-h2", "30")
    assert report_render(programme=bond.programme, edition="public", language="en") != before
    past = report_render(programme=bond.programme, edition="public", language="en", chain_head=head)
    assert past == before


def test_a_programme_name_with_markup_renders_literally(db):
    name = '<img src="http://example.invalid/x.png"> & <b>Jardins</b>'
    bond = make_bond(slug="markup", name=name)
    for edition in ("public", "manager"):
        pdf = report_render(programme=bond.programme, edition=edition, language="fr")
        text = pdf_text(pdf)
        assert name in text.replace("\n", " ")
        assert b"example.invalid" not in pdf.replace(name.encode(), b"")  # fetched nowhere


@pytest.mark.parametrize("edition", ["public", "manager"])
def test_first_page_renders_to_a_non_blank_png(bond: Bond, edition: str):
    pdf = report_render(programme=bond.programme, edition=edition, language="fr")
    ink = first_page_ink(pdf)
    assert 0.005 < ink < 0.5, ink


def test_the_pdf_carries_the_chain_head_in_its_metadata_and_text(bond: Bond):
    import io

    from pypdf import PdfReader

    from reports.selectors.state import chain_state

    head = chain_state(programme=bond.programme).head
    pdf = report_render(programme=bond.programme, edition="public", language="fr")
    keywords = PdfReader(io.BytesIO(pdf)).metadata["/Keywords"]
    assert f"sib-chain-head:{head}" in keywords
    assert "sib-programme:jardins" in keywords
    assert head in pdf_lines(pdf)
