"""Page furniture: the running header and footer, and numbers known only after layout.

One layout pass. Page numbers that are only known at the end ("Page 3 / 12", the
contents' page numbers) are drawn as PDF form XObjects referenced while laying out and
defined when the canvas is saved (``FinishingCanvas``, ``define_text_form``). reportlab's
``multiBuild`` would lay the whole story out two or three times instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from reports.rendering.formatting import format_date, typeset
from reports.rendering.labels import label
from reports.rendering.styles import FONT, INK, MUTED, RULE, clip


def draw_header(
    canvas: Canvas,
    *,
    pagesize: tuple[float, float],
    margin_x: float,
    programme: str,
    edition: str,
) -> None:
    """Draw the running header: programme name and edition."""
    width, height = pagesize
    y = height - 13 * mm
    canvas.setFont(FONT, 7.5)
    canvas.setFillColor(MUTED)
    room = width - 2 * margin_x
    left_room = room - stringWidth(edition, FONT, 7.5) - 12
    canvas.drawString(margin_x, y, clip(typeset(programme), left_room))
    canvas.drawRightString(width - margin_x, y, edition)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(margin_x, y - 3, width - margin_x, y - 3)


def draw_footer(
    canvas: Canvas,
    *,
    pagesize: tuple[float, float],
    margin_x: float,
    page: int,
    lang: str,
    report_date: date,
) -> None:
    """Draw "Page n / total" and the report date."""
    width, _ = pagesize
    y = 11 * mm
    canvas.setFont(FONT, 7.5)
    canvas.setFillColor(MUTED)
    # The total is unknown until the end: draw the known prefix now and
    # reference a form that the renderer fills with the page count when saving.
    prefix = label(lang, "page_of").split("{total}")[0].format(page=page)
    canvas.drawString(margin_x, y, prefix)
    canvas.saveState()
    canvas.translate(margin_x + stringWidth(prefix, FONT, 7.5), y)
    canvas.doForm("page-total")
    canvas.restoreState()
    canvas.drawRightString(width - margin_x, y, format_date(report_date, lang))


class FinishingCanvas(Canvas):
    """A canvas that calls ``finish`` just before it writes the file."""

    def __init__(self, *args: Any, finish: Callable[[Canvas], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._finish = finish

    def save(self) -> None:
        self._finish(self)
        super().save()


def define_text_form(canvas: Canvas, name: str, text: str, *, anchor: str) -> None:
    """Define form ``name`` drawing ``text`` at its origin, left or right of it."""
    canvas.beginForm(name, lowerx=-60, lowery=-4, upperx=60, uppery=14)
    if name == "page-total":
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
    else:
        canvas.setFont(FONT, 10)
        canvas.setFillColor(INK)
    if anchor == "end":
        canvas.drawRightString(0, 0, text)
    else:
        canvas.drawString(0, 0, text)
    canvas.endForm()
