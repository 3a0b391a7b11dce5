"""Table cells are plain text wrapped by the renderer: never markup, never wider than the column."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from reportlab.pdfbase.pdfmetrics import stringWidth

from reports.document import VerificationEntry
from reports.rendering import render_report
from reports.rendering.styles import FONT, FONT_BOLD, register_fonts
from reports.rendering.tables import wrap
from tests.reports.support import pdf_text
from tests.reports.test_rendering import demo_data

register_fonts()

WORDS = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzéèàç’<>&;/\"'0123456789\u00a0"),
    min_size=1,
    max_size=30,
)


@given(
    words=st.lists(WORDS, min_size=1, max_size=25),
    room=st.floats(min_value=8, max_value=300),
    bold=st.booleans(),
)
def test_wrapped_lines_fit_and_keep_every_character(words: list[str], room: float, bold: bool):
    font = FONT_BOLD if bold else FONT
    text = " ".join(words)
    lines = wrap(text, room, font).split("\n")
    for line in lines:
        # A line only overflows when it is one character wider than the column.
        assert stringWidth(line, font, 8) <= room + 1e-9 or len(line) == 1
        assert line == line.strip(" ")
    # Only ordinary white space goes (no-break spaces stay), and nothing else.
    assert "".join(lines).replace(" ", "") == re.sub(r"[ \t\n\r\f\v]", "", text)


def test_no_break_spaces_never_break():
    money = "1\u00a0234\u00a0567,89\u00a0€"
    lines = wrap(f"{money} {money} {money}", stringWidth(money, FONT, 8) + 1, FONT).split("\n")
    assert lines == [money, money, money]


def test_markup_in_a_wrapping_cell_prints_literally():
    note = (
        '<img src="http://example.invalid/x.png"> & <b>not bold</b> <font color=red>x</font> '
        "une note assez longue pour passer à la ligne dans sa colonne, plusieurs fois même."
    )
    # Only the manager edition prints notes (the public one prints no user text).
    data = demo_data(edition="manager", language="en")
    entry = VerificationEntry(
        date(2027, 5, 1), "Entrée", "Cohorte 1", "2026-S2", "amended", "Lead <i>", note
    )
    pdf = render_report(dataclasses.replace(data, verification_log=(entry,)))
    text = " ".join(pdf_text(pdf).split())
    assert note in text
    assert "Lead <i>" in text
    assert b"example.invalid" not in pdf.replace(note.encode(), b"")
