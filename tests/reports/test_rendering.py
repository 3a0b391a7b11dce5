"""Render the evaluation report PDFs from plain data and read them back."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from pypdf import PdfReader

from reports.document import (
    ChainHead,
    CohortResult,
    ComparisonResult,
    InvestorMetrics,
    InvestorRepayment,
    ManagerData,
    MetricSection,
    Party,
    PaymentRow,
    Programme,
    ReportData,
    ScenarioProjection,
    ScheduleRow,
    SummaryFigures,
    VerificationEntry,
    WaterfallStep,
)
from reports.rendering import render_report
from reports.rendering.charts import achieved_vs_target_chart, drawing_to_svg
from reports.rendering.formatting import format_date, format_percent
from reports.rendering.masking import CountMask

INVESTORS = ("Banque Méridionale", "Fondation Horizon", "Fonds Impact Solidaire")
GUARANTOR = "Fondation Garantie Sud"
HEAD = "9f2c4be1d07a5f3386c1e0b2a4d9f7c65e18b3a0d2c4f6e8a1b3c5d7e9f0a2b4"
MARKUP = '<img src="http://x/y.png"> & <b>bold</b>'


def demo_data(
    *, edition: str = "public", language: str = "fr", name: str = "Jardins solidaires, Marseille"
) -> ReportData:
    """Return the demo programme as a selector would fill it."""
    parties = (
        Party("État", "payer", 7000),
        Party("Département des Bouches-du-Rhône", "payer", 3000),
        Party("Association Terre & Emploi", "provider"),
        Party("SPV Impact Sud", "intermediary"),
        Party("Cabinet Évalua", "evaluator"),
        *(Party(n, "investor") for n in INVESTORS),
        Party(GUARANTOR, "guarantor"),
    )
    training = MetricSection(
        code="training",
        name="Entrée en formation qualifiante",
        definition="Le participant entre dans une formation qualifiante accréditée.",
        mechanism="800 € par entrée vérifiée, plafonné par participant.",
        unit_price=80_000,
        results=(
            CohortResult("Cohorte 1", "2026-S2", "interim", 42, 40),
            CohortResult("Cohorte 1", "2027-S1", "final", 61, 50),
            CohortResult("Cohorte 2", "2027-S2", "interim", 7, 40),
            CohortResult("Cohorte 3", "2028-S1", "interim", 0, 40),
        ),
    )
    work6 = MetricSection(
        code="work6",
        name="En emploi à 6 mois",
        definition="Le participant occupe un emploi six mois après sa sortie.",
        mechanism="3 000 € par sortie en emploi, au-delà de 10 % d’amélioration.",
        unit_price=300_000,
        results=(
            CohortResult("Cohorte 1", "2027-S2", "final", 23, 30),
            CohortResult("Cohorte 2", "2028-S2", "interim", 9, 30),
        ),
        comparisons=(
            ComparisonResult("Cohorte 1", 23, 100, 15, 100, 1000),
            ComparisonResult("Cohorte 2", 9, 100, 12, 100, 1000),
        ),
    )
    work12 = MetricSection(
        code="work12",
        name="En emploi à 12 mois",
        definition="Le participant occupe un emploi douze mois après sa sortie.",
        mechanism="2 500 € par participant en emploi à 12 mois.",
        unit_price=250_000,
        results=(CohortResult("Cohorte 1", "2028-S1", "final", 18, 25),),
    )
    payments = (
        PaymentRow("2027-S1", "État", 2_352_000),
        PaymentRow("2027-S1", "Département des Bouches-du-Rhône", 1_008_000),
        PaymentRow("2027-S2", "État", 3_080_000),
        PaymentRow("2027-S2", "Département des Bouches-du-Rhône", 1_320_000),
        PaymentRow("2028-S1", "État", 3_211_975),
        PaymentRow("2028-S1", "Département des Bouches-du-Rhône", 1_373_703),
    )
    log = (
        VerificationEntry(
            date(2027, 2, 3),
            "Entrée en formation",
            "Cohorte 1",
            "2026-S2",
            "submitted",
            "Claire Martin (Cabinet Évalua)",
        ),
        VerificationEntry(
            date(2027, 2, 10),
            "Entrée en formation",
            "Cohorte 1",
            "2026-S2",
            "verified",
            "Paul Durand (Cabinet Évalua)",
        ),
        VerificationEntry(
            date(2027, 3, 1),
            "Entrée en formation",
            "Cohorte 1",
            "2026-S2",
            "amended",
            "Paul Durand (Cabinet Évalua)",
            "Deux entrées comptées en double dans l’export de l’opérateur.",
        ),
        VerificationEntry(
            date(2027, 3, 15),
            "Entrée en formation",
            "Cohorte 1",
            "2026-S2",
            "disputed",
            "Département des Bouches-du-Rhône",
            "Date d’entrée hors période pour une formation.",
        ),
        VerificationEntry(
            date(2027, 4, 2), "Entrée en formation", "Cohorte 1", "2026-S2", "accepted", "État"
        ),
    )
    manager = ManagerData(
        waterfall=(
            WaterfallStep(1, "Frais de la structure intermédiaire", 450_000, 1_200_000),
            WaterfallStep(2, "Principal senior (banque, fondation)", 9_876_543),
            WaterfallStep(3, "Rendement senior jusqu’à 5 % par an", 0),
            WaterfallStep(4, "Principal junior (fonds à impact)", 0),
            WaterfallStep(5, "Rendement junior jusqu’à 8 % par an", 0),
        ),
        schedule=(
            ScheduleRow(INVESTORS[0], date(2026, 1, 15), 45_000_000, 0, 0, 45_000_000),
            ScheduleRow(INVESTORS[0], date(2028, 7, 1), 0, 6_584_362, 0, 38_415_638),
            ScheduleRow(INVESTORS[1], date(2026, 1, 15), 22_500_000, 0, 0, 22_500_000),
            ScheduleRow(INVESTORS[1], date(2028, 7, 1), 0, 3_292_181, 0, 19_207_819),
            ScheduleRow(INVESTORS[2], date(2026, 6, 1), 15_000_000, 0, 0, 15_000_000),
            ScheduleRow(INVESTORS[2], date(2030, 12, 31), 0, 15_000_000, 1_200_000, 0, True),
        ),
        investor_metrics=(
            InvestorMetrics(
                INVESTORS[0],
                "senior",
                60_000_000,
                45_000_000,
                6_584_362,
                None,
                Decimal("0.146"),
                Decimal("0.146"),
            ),
            InvestorMetrics(
                INVESTORS[1],
                "senior",
                30_000_000,
                22_500_000,
                3_292_181,
                None,
                Decimal("0.146"),
                Decimal("0.146"),
            ),
            InvestorMetrics(
                INVESTORS[2],
                "junior",
                20_000_000,
                15_000_000,
                0,
                Decimal("-1"),
                Decimal("0"),
                Decimal("0"),
            ),
        ),
        scenarios=(
            ScenarioProjection(
                "Central",
                "Résultats conformes aux cibles.",
                120_000_000,
                82_500_000,
                9_300_000,
                "positive_return",
                Decimal("1.11"),
                Decimal("0.043"),
            ),
            ScenarioProjection(
                "Pessimiste",
                "Moitié des cibles atteintes.",
                52_000_000,
                52_000_000,
                0,
                "some_repayment",
                Decimal("0.63"),
                None,
            ),
        ),
    )
    return ReportData(
        programme=Programme(
            name=name,
            slug="jardins-solidaires-marseille",
            period_start=date(2026, 1, 1),
            period_end=date(2030, 12, 31),
            currency="EUR",
            parties=parties,
        ),
        edition=edition,  # type: ignore[arg-type]
        language=language,  # type: ignore[arg-type]
        report_date=date(2026, 11, 28),
        summary=SummaryFigures(
            participants_enrolled=300,
            outcomes_verified=160,
            outcome_payments_paid=12_345_678,
            outcome_payments_due=1_500_000,
            contract_cap=150_000_000,
            cap_used=Fraction(13_845_678, 150_000_000),
        ),
        metrics=(training, work6, work12),
        payments=payments,
        investor_repayment=InvestorRepayment(
            investor_count=3,
            capital_committed=110_000_000,
            capital_drawn=82_500_000,
            principal_repaid=9_876_543,
            return_paid=0,
            category="some_repayment",
        ),
        verification_log=log,
        chain_head=ChainHead(HEAD, 1287),
        manager=manager if edition == "manager" else None,
    )


def pdf_text(pdf: bytes) -> str:
    """Return the text of every page on one line, runs of spaces made one."""
    reader = PdfReader(io.BytesIO(pdf))
    # pypdf puts each table cell on its own line and keeps no-break spaces.
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], bytes]:
    return {
        (edition, lang): render_report(demo_data(edition=edition, language=lang))
        for edition in ("public", "manager")
        for lang in ("fr", "en")
    }


@pytest.mark.parametrize("edition", ["public", "manager"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_edition_and_language_renders_an_a4_pdf(rendered, edition, lang):
    reader = PdfReader(io.BytesIO(rendered[edition, lang]))
    assert len(reader.pages) >= 5
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_french_totals_are_formatted_the_french_way(rendered):
    text = pdf_text(rendered["public", "fr"])
    assert "123 456,78 €" in text  # payments paid
    assert "1 500 000,00 €" in text  # contract cap
    assert "800,00 €" in text  # unit price
    # Share of the cap used: dues (123 456,78 € paid + 15 000 € still to pay) ÷ cap.
    assert "9,2 %" in text
    assert "28 novembre 2026" in text
    assert "janvier 2026 – décembre 2030" in text


def test_english_totals_are_formatted_the_english_way(rendered):
    text = pdf_text(rendered["public", "en"])
    assert "€123,456.78" in text
    assert "€1,500,000.00" in text
    assert "9.2%" in text  # dues ÷ cap, not paid ÷ cap (8.2%)
    assert "28 November 2026" in text
    assert "January 2026 – December 2030" in text


def test_public_edition_masks_small_counts_in_tables(rendered):
    text = pdf_text(rendered["public", "fr"])
    # Achieved 7 of a target of 40: the count and its rate are both hidden. In a results
    # table every hidden count reads "masqué", small or companion alike.
    assert "Cohorte 2 2027-S2 intermédiaire masqué 40 masqué" in text
    assert "Cohorte 2 2028-S2 intermédiaire masqué 30 masqué" in text
    # Zero singles nobody out and stays visible.
    assert "Cohorte 3 2028-S1 intermédiaire 0 40 0,0 %" in text
    # The comparison row hides the treated count and every rate built on it.
    assert "Cohorte 2 < 11 / 100 masqué 12,0 % masqué" in text
    for raw in ("intermédiaire 7 ", "intermédiaire 9 ", " 9 / 100", "7,0 %", "9,0 %"):
        assert raw not in text


def test_public_edition_masks_small_counts_in_chart_labels():
    data = demo_data()
    only_chart = dataclasses.replace(
        data,
        metrics=(dataclasses.replace(data.metrics[0], results=(data.metrics[0].results[2],)),),
    )
    text = pdf_text(render_report(only_chart))
    # Hidden in the table and above the chart's bar, which is not drawn.
    assert "Cohorte 2 2027-S2 intermédiaire masqué 40 masqué" in text
    assert "Cohorte 2 (2027-S2) masqué 40" in text
    assert not re.search(r"(?<![\d/,.])7(?![\d,.])", text.split("Journal de vérification")[0])


def test_manager_edition_shows_exact_counts(rendered):
    text = pdf_text(rendered["manager", "fr"])
    assert "Cohorte 2 2027-S2 intermédiaire 7 40 17,5 %" in text
    assert "< 11" not in text


def test_public_edition_never_names_an_investor(rendered):
    for lang in ("fr", "en"):
        pdf = rendered["public", lang]
        text = pdf_text(pdf)
        meta = PdfReader(io.BytesIO(pdf)).metadata
        for name in (*INVESTORS, GUARANTOR):
            assert name not in text
            assert name not in " ".join(str(v) for v in meta.values())
        assert "3 " + ("investisseurs" if lang == "fr" else "investors") in text


def test_manager_edition_names_every_investor(rendered):
    text = pdf_text(rendered["manager", "fr"])
    for name in (*INVESTORS, GUARANTOR):
        assert name in text


def test_manager_edition_says_undefined_metrics_are_not_defined(rendered):
    assert "non défini" in pdf_text(rendered["manager", "fr"])
    assert "not defined" in pdf_text(rendered["manager", "en"])


def test_markup_in_user_text_renders_literally_and_fetches_nothing(monkeypatch):
    def no_fetch(*args, **kwargs):
        raise AssertionError("the renderer tried to open an external resource")

    monkeypatch.setattr("urllib.request.urlopen", no_fetch)
    # The manager edition: the public one prints no log note (user text) at all.
    data = demo_data(name=MARKUP, edition="manager")
    data = dataclasses.replace(
        data,
        metrics=(dataclasses.replace(data.metrics[0], definition=MARKUP),),
        verification_log=(dataclasses.replace(data.verification_log[2], note=MARKUP),),
    )
    pdf = render_report(data)
    text = pdf_text(pdf)
    assert text.count(MARKUP) >= 3  # cover, definition, log note
    assert b"/Subtype /Image" not in pdf


def test_same_data_gives_identical_bytes():
    assert render_report(demo_data()) == render_report(demo_data())
    manager = demo_data(edition="manager", language="en")
    assert render_report(manager) == render_report(manager)


def test_a_new_chain_head_gives_a_different_pdf():
    data = demo_data()
    moved = dataclasses.replace(data, chain_head=ChainHead("0" * 64, 1288))
    assert render_report(data) != render_report(moved)
    assert "0" * 64 in pdf_text(render_report(moved))


def test_ledger_section_prints_head_and_verify_command(rendered):
    assert HEAD in pdf_text(rendered["public", "en"])
    # Only the manager edition prints the operator's commands (tests/reports/test_layout.py).
    text = pdf_text(rendered["manager", "en"])
    assert HEAD in text
    assert "python manage.py ledger_verify jardins-solidaires-marseille" in text


def test_metadata_is_set(rendered):
    meta = PdfReader(io.BytesIO(rendered["public", "fr"])).metadata
    assert meta.title == "Rapport d’évaluation — Jardins solidaires, Marseille"
    assert meta.author == "SPV Impact Sud"
    assert "Édition publique" in meta.subject
    assert "jardins-solidaires-marseille" in meta["/Keywords"]


def test_pages_are_numbered_out_of_the_total(rendered):
    pdf = rendered["manager", "fr"]
    total = len(PdfReader(io.BytesIO(pdf)).pages)
    text = pdf_text(pdf)
    for page in range(1, total + 1):
        assert f"Page {page} / {total} " in text


def test_contents_list_every_section_with_its_page(rendered):
    reader = PdfReader(io.BytesIO(rendered["public", "en"]))
    contents = re.sub(r"\s+", " ", reader.pages[1].extract_text())
    assert "Contents" in contents
    # "Payments" heading sits on the page the contents say.
    match = re.search(r"Outcome payments\s*\.*\s*(\d+)", contents)
    assert match
    page = int(match.group(1))
    assert "Outcome payments" in reader.pages[page - 1].extract_text()


def test_public_report_refuses_manager_data():
    manager = demo_data(edition="manager")
    with pytest.raises(ValueError, match="public"):
        dataclasses.replace(manager, edition="public")


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed"
)
def test_first_page_renders_to_a_non_blank_image(tmp_path: Path, rendered):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(rendered["public", "fr"])
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "30", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    image = next(tmp_path.glob("p*.pgm")).read_bytes()
    # Binary PGM: "P5\n<width> <height>\n<maxval>\n" then one byte per pixel.
    magic, width, height, maxval, pixels = image.split(maxsplit=4)
    assert magic == b"P5" and maxval == b"255"
    pixels = pixels[: int(width) * int(height)]
    ink = sum(1 for value in pixels if value < 200)
    assert ink > len(pixels) // 100


def test_masking_hides_one_to_threshold_but_not_zero():
    mask = CountMask()
    assert [mask.count(n, "fr") for n in (0, 1, 10, 11)] == ["0", "<\u00a011", "<\u00a011", "11"]
    assert CountMask(threshold=5).count(6, "en") == "6"
    assert mask.rate(7, 100, "fr") is None
    with pytest.raises(ValueError):
        mask.masks(-1)


def test_dates_and_percentages_follow_the_language():
    assert format_date(date(2026, 3, 1), "fr") == "1er mars 2026"
    assert format_date(date(2026, 11, 28), "en") == "28 November 2026"
    assert format_percent(Decimal("0.125"), "fr") == "12,5\u00a0%"
    assert format_percent(Decimal("0.125"), "en") == "12.5%"


def test_charts_export_to_svg_with_masked_labels():
    drawing = achieved_vs_target_chart(
        ["Cohorte 1", "Cohorte 2"],
        [42, 7],
        [40, 40],
        lang="fr",
        mask=CountMask(),
        legend=("Atteint", "Cible"),
    )
    svg = drawing_to_svg(drawing)
    assert "<svg" in svg
    assert "&lt;\u00a011" in svg
    assert ">7<" not in svg
