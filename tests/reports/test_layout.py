"""The report's layout: no word cut in a table, no date over several lines, no page holding
only the end of a section, and the published edition asks its reader to run nothing."""

from __future__ import annotations

import dataclasses
import io

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from reports.rendering import render_report
from reports.rendering.styles import FONT, FONT_BOLD, register_fonts
from reports.rendering.tables import CELL_PADDING, readable_widths
from tests.reports.support import pdf_lines
from tests.reports.test_rendering import demo_data

register_fonts()


@pytest.fixture(scope="module")
def manager() -> dict[str, list[str]]:
    return {
        lang: pdf_lines(render_report(demo_data(edition="manager", language=lang)))
        for lang in ("fr", "en")
    }


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Multiple", "Rendement", "prévisionnel", "remboursé"]),
        ("en", ["MOIC", "Principal", "projected", "Outstanding"]),
    ],
)
def test_table_headers_and_cells_keep_their_words_whole(manager, lang, words):
    # Each cell line is a line of the extracted text: a cut word shows as a line
    # ending mid-word ("Multip" then "le (MOIC)").
    text = "\n".join(manager[lang])
    for word in words:
        assert word in text
        cut = [line for line in manager[lang] if line and word.startswith(line) and line != word]
        assert not cut, f"{word!r} is cut: {cut}"


@pytest.mark.parametrize(
    ("lang", "dates"),
    [
        ("fr", ["31 décembre 2030", "1er juillet 2028", "10 février 2027"]),
        ("en", ["31 December 2030", "1 July 2028", "10 February 2027"]),
    ],
)
def test_dates_in_tables_stay_on_one_line(manager, lang, dates):
    for day in dates:
        assert day in manager[lang]


def test_a_narrow_column_takes_the_room_its_longest_word_needs():
    header = ["Investisseur", "Multiple (MOIC)"]
    rows = [["Banque Méridionale", "0,15×"]]
    widths = readable_widths(header, rows, [200.0, 40.0])
    assert sum(widths) == pytest.approx(240.0)
    assert widths[1] - CELL_PADDING >= stringWidth("Multiple", FONT_BOLD, 8)
    # The column that gave room still fits its own cell on one line.
    assert widths[0] - CELL_PADDING >= stringWidth("Banque Méridionale", FONT, 8)


def test_columns_without_room_to_spare_are_left_as_planned():
    header = ["Multiple", "Rendement"]
    widths = readable_widths(header, [["x", "y"]], [30.0, 30.0])
    assert widths == [30.0, 30.0]


@pytest.mark.parametrize("edition", ["public", "manager"])
@pytest.mark.parametrize("extra", range(0, 30))
def test_no_page_holds_only_the_end_of_the_ledger_section(edition, extra):
    data = demo_data(edition=edition, language="fr")
    log = data.verification_log
    data = dataclasses.replace(data, verification_log=log * (1 + extra // 5) + log[: extra % 5])
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(render_report(data))).pages]
    last = pages[-1]
    assert "Registre et vérification d’intégrité" in last
    assert "1 287" in last.replace("\u00a0", " ")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_public_edition_asks_its_reader_to_run_no_command(lang):
    lines = pdf_lines(render_report(demo_data(edition="public", language=lang)))
    assert not [line for line in lines if "manage.py" in line]
    text = " ".join(lines)
    assert "verification bundle" in text or "lot de vérification" in text


def test_the_manager_edition_prints_the_commands(manager):
    assert "python manage.py ledger_verify jardins-solidaires-marseille" in manager["en"]
