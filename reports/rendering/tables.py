"""Report tables: striped, their plain-text cells wrapped here and drawn in one text object.

Table cells are wrapped here (``wrap``, word widths cached), not by a Paragraph per cell,
and a table's text is drawn as one PDF text object (``_TextCells``): a 1 000-row table
costs a fraction of what it did. ``str`` cells are plain text, never parsed as markup, so
they need no escaping.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, LongTable, Table, TableStyle

from reports.rendering.formatting import typeset
from reports.rendering.styles import ACCENT, FONT, FONT_BOLD, HEADER_FILL, INK, RULE, STRIPE_FILL

# Left plus right padding of a table cell (reportlab's default 6 + 6).
CELL_PADDING = 12.0

# Bigger tables use LongTable, whose layout is linear in the number of rows.
_LONG_TABLE_ROWS = 40

# Table cells: Vera 8 on a 10-point leading, as the "cell" paragraph style.
CELL_SIZE = 8.0
CELL_LEADING = 10.0
_CELL_TOP_PADDING = 3.0
_CELL_BOTTOM_PADDING = 3.0
_BREAKS = re.compile(r"[ \t\n\r\f\v]+")  # not the no-break spaces typeset puts in


class CellLines(tuple[str, ...]):
    """Lines of a table cell shown one under the other, each wrapped on its own."""

    def __new__(cls, lines: Iterable[str]) -> CellLines:
        return super().__new__(cls, lines)


def striped_table(
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str | CellLines | Flowable]],
    col_widths: Sequence[float],
    *,
    numeric: Sequence[int] = (),
    bold_last: bool = False,
) -> Table:
    """Return a striped table whose header row repeats on every page.

    ``col_widths`` are in points; ``numeric`` lists the
    columns to right-align. ``str`` cells (and ``CellLines``) are drawn
    as plain text, never parsed as markup, so they need no escaping: one
    that does not fit its column is wrapped at spaces here (a word longer
    than the column is cut), which is several times cheaper than a
    Paragraph per cell. Without a header the table is a plain list.
    """
    last = len(rows) - 1
    col_widths = readable_widths(header, rows, col_widths, bold_last=bold_last)
    room = [width - CELL_PADDING for width in col_widths]
    body: list[list[str | Flowable]] = [
        [
            _fit(c, width, FONT_BOLD if bold_last and r == last else FONT)
            for c, width in zip(row, room, strict=True)
        ]
        for r, row in enumerate(rows)
    ]
    first = 0
    if header is not None:
        first = 1
        body.insert(0, [_fit(h, width, FONT_BOLD) for h, width in zip(header, room, strict=True)])
    cls = _LongTable if len(rows) > _LONG_TABLE_ROWS else _Table
    # Every row of plain text has a known height: giving it spares reportlab measuring
    # each cell again for every page the table is split over.
    heights = [_row_height(row) for row in body]
    table = cls(body, colWidths=col_widths, rowHeights=heights, repeatRows=first)
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, CELL_SIZE, CELL_LEADING),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
        ("ROWBACKGROUNDS", (0, first), (-1, -1), [colors.white, STRIPE_FILL]),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), _CELL_TOP_PADDING),
        ("BOTTOMPADDING", (0, 0), (-1, -1), _CELL_BOTTOM_PADDING),
    ]
    if header is not None:
        commands.append(("FONT", (0, 0), (-1, 0), FONT_BOLD, CELL_SIZE, CELL_LEADING))
        commands.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL))
        commands.append(("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT))
    else:
        commands.append(("LINEABOVE", (0, 0), (-1, 0), 0.8, ACCENT))
    for column in numeric:
        commands.append(("ALIGN", (column, 0), (column, -1), "RIGHT"))
    if bold_last and rows:
        commands.append(("FONT", (0, -1), (-1, -1), FONT_BOLD, CELL_SIZE, CELL_LEADING))
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, ACCENT))
    table.setStyle(TableStyle(commands))
    return table


def readable_widths(
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str | CellLines | Flowable]],
    col_widths: Sequence[float],
    *,
    bold_last: bool = False,
) -> list[float]:
    """Return ``col_widths`` (points) moved so that no word is cut, where they can be.

    A column narrower than its widest word would print it cut ("Multip" / "le
    (MOIC)"). Such a column takes the room it lacks from the columns with room to
    spare, never taking so much that a cell of theirs that fitted on one line wraps
    or one of their words is cut. When the spare room is short, each column gets
    its share of what there is.
    """
    room = [width - CELL_PADDING for width in col_widths]
    # The least room each column needs: its cells that fit whole stay whole, and
    # every word of the others fits.
    floor = [0.0] * len(room)
    last = len(rows) - 1
    lines: list[tuple[int, str, str]] = []
    if header is not None:
        lines += [(i, h, FONT_BOLD) for i, h in enumerate(header)]
    for r, row in enumerate(rows):
        font = FONT_BOLD if bold_last and r == last else FONT
        for i, cell in enumerate(row):
            if isinstance(cell, CellLines):
                lines += [(i, line, font) for line in cell]
            elif isinstance(cell, str):
                lines += [(i, line, font) for line in cell.split("\n")]
    for i, line, font in lines:
        text = typeset(line)
        whole = _width(text, font)
        if whole > room[i]:
            whole = max((_width(word, font) for word in _BREAKS.split(text)), default=0.0)
        floor[i] = max(floor[i], whole + 0.01)
    lacking = [max(0.0, f - r) for f, r in zip(floor, room, strict=True)]
    spare = [max(0.0, r - f) for f, r in zip(floor, room, strict=True)]
    needed, available = sum(lacking), sum(spare)
    if not needed or not available:
        return list(col_widths)
    moved = min(needed, available)
    return [
        width + lack * moved / needed - extra * moved / available
        for width, lack, extra in zip(col_widths, lacking, spare, strict=True)
    ]


def fitted_widths(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    full: float,
    stretch: int,
) -> list[float]:
    """Return column widths sized to the content, the rest going to column ``stretch``.

    Each other column gets its widest text (a header only its widest word, as it
    may wrap), at most half as wide again as planned in ``widths``; column
    ``stretch`` (free text, e.g. a note) takes what is left. Rows that need not
    wrap take one line instead of two: a long table gets far fewer pages. When
    that would leave column ``stretch`` less than three quarters of its planned
    width, the planned widths are kept. Widths are fractions of ``full``, the text
    width in points.
    """
    natural = [
        max(_width(word, FONT_BOLD) for word in _BREAKS.split(typeset(h)) or [""]) for h in header
    ]
    for row in rows:
        for i, cell in enumerate(row):
            width = _width(typeset(cell), FONT)
            if width > natural[i]:
                natural[i] = width
    out = [
        min(n + CELL_PADDING + 0.5, 1.5 * w * full) for n, w in zip(natural, widths, strict=True)
    ]
    out[stretch] = 0.0
    rest = full - sum(out)
    if rest < 0.75 * widths[stretch] * full:
        return list(widths)
    out[stretch] = rest
    return [width / full for width in out]


@lru_cache(maxsize=1 << 16)
def _width(text: str, font: str) -> float:
    """Return the width of ``text`` in a table cell, remembered: cells repeat words a lot."""
    return stringWidth(text, font, CELL_SIZE)


def _fit(value: str | CellLines | Flowable, room: float, font: str) -> str | Flowable:
    """Return a cell value as plain text wrapped to ``room`` points, or the flowable."""
    if isinstance(value, CellLines):
        return "\n".join(wrap(typeset(line), room, font) for line in value)
    if not isinstance(value, str):
        return value
    text = typeset(value)
    if "\n" not in text and _width(text, font) <= room:
        return text
    return wrap(text, room, font)


def _row_height(row: Sequence[str | Flowable]) -> float | None:
    """Return the height reportlab gives a row of text cells (None: it has a flowable)."""
    lines = 1
    for cell in row:
        if not isinstance(cell, str):
            return None
        lines = max(lines, cell.count("\n") + 1)
    return lines * CELL_LEADING + _CELL_TOP_PADDING + _CELL_BOTTOM_PADDING


def wrap(text: str, room: float, font: str) -> str:
    """Return ``text`` broken into lines of at most ``room`` points, joined by newlines.

    Greedy, at runs of ordinary white space (a no-break space never breaks); a word
    wider than the room is cut wherever it has to be, as Paragraph's splitLongWords.
    """
    space = _width(" ", font)
    lines: list[str] = []
    line = ""
    used = 0.0
    for word in _BREAKS.split(text.strip(" \t\n\r\f\v")):
        width = _width(word, font)
        if line and used + space + width <= room:
            line += " " + word
            used += space + width
            continue
        if line:
            lines.append(line)
        while width > room and len(word) > 1:
            cut = _longest_prefix(word, room, font)
            lines.append(word[:cut])
            word = word[cut:]
            width = _width(word, font)
        line, used = word, width
    lines.append(line)
    return "\n".join(lines)


def _longest_prefix(word: str, room: float, font: str) -> int:
    """Return how many characters of ``word`` fit in ``room`` (at least one)."""
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if stringWidth(word[:middle], font, CELL_SIZE) <= room:
            low = middle
        else:
            high = middle - 1
    return low


class _TextCells:
    """Draw a table's plain-text cells in one PDF text object instead of one per line.

    reportlab's Table draws each line of a text cell with ``drawString``: a text
    object, a font selection and a position each time. A long table spends most of
    its drawing there. Here the lines go into one text object per table, the font
    and colour set only when they change; cells are placed exactly as reportlab
    places them, and the text still sits above the backgrounds and under the rules.
    """

    canv: Canvas
    _text: Any = None
    _text_state: tuple[Any, ...] = ()

    def _drawCell(self, cellval: Any, cellstyle: Any, pos: Any, size: Any) -> None:
        if (
            not isinstance(cellval, str)
            or cellstyle.href
            or cellstyle.destination
            or cellstyle.direction
            or cellstyle.shaping
            or cellstyle.alignment not in ("LEFT", "RIGHT", "CENTRE", "CENTER")
        ):
            self._flush_text()
            self._curcellstyle = None  # reportlab sets font and colour again
            super()._drawCell(cellval, cellstyle, pos, size)  # type: ignore[misc]
            return
        lines = cellval.split("\n")
        if not any(lines):
            return
        colpos, rowpos = pos
        colwidth, rowheight = size
        style = cellstyle
        fontsize, leading = style.fontsize, style.leading
        if style.valign == "TOP":
            y = rowpos + rowheight - style.topPadding - fontsize
        elif style.valign == "BOTTOM":
            y = rowpos + style.bottomPadding + len(lines) * leading - fontsize
        else:
            middle = style.bottomPadding + rowheight - style.topPadding + len(lines) * leading
            y = rowpos + middle / 2.0 - fontsize
        text = self._text
        if text is None:
            text = self._text = self.canv.beginText()
            self._text_state = ()
        state = (style.fontname, fontsize, leading, style.color)
        if state != self._text_state:
            text.setFont(style.fontname, fontsize, leading)
            text.setFillColor(style.color)
            self._text_state = state
        just = style.alignment
        if just == "LEFT":
            text.setTextOrigin(colpos + style.leftPadding, y)
            for line in lines:
                text.textLine(line)
            return
        right = colpos + colwidth - style.rightPadding
        centre = colpos + (colwidth + style.leftPadding - style.rightPadding) * 0.5
        for line in lines:
            if line:
                width = (
                    _width(line, style.fontname)
                    if fontsize == CELL_SIZE
                    else stringWidth(line, style.fontname, fontsize)
                )
                text.setTextOrigin(right - width if just == "RIGHT" else centre - width / 2, y)
                text.textLine(line)
            y -= leading

    def _drawLines(self) -> None:
        self._flush_text()
        super()._drawLines()  # type: ignore[misc]

    def _flush_text(self) -> None:
        if self._text is not None:
            self.canv.drawText(self._text)
            self._text = None


class _Table(_TextCells, Table):
    pass


class _LongTable(_TextCells, LongTable):
    pass
