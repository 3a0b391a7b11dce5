"""
Lay out a ``ReportData`` as an A4 PDF, with small hooks for each edition.

``ReportRenderer`` owns the machinery every edition shares: fonts, styles,
page templates, header and footer, table of contents, tables, escaping and
metadata. Subclasses (``public.PublicRenderer``, ``manager.ManagerRenderer``)
only decide which sections to print, through ``get_sections``.

Two design points worth knowing before changing this file:

- One layout pass. Page numbers that are only known at the end ("Page 3 / 12",
  the contents' page numbers) are drawn as PDF form XObjects referenced while
  laying out and defined when the canvas is saved. reportlab's ``multiBuild``
  would lay the whole story out two or three times instead.
- Escaping. Paragraph text is markup to reportlab: an unescaped ``<img src>``
  in a programme name would be fetched. Every user string printed as a
  Paragraph goes through ``para``, ``markup`` or ``labelled``, which escape;
  label templates are trusted but the values interpolated into them are
  escaped too. Table cells (``table``) and canvas ``drawString`` calls are
  plain text, never parsed, so they need no escaping.
- Speed. Table cells are wrapped here (``_wrap``, word widths cached), not
  by a Paragraph per cell, and a table's text is drawn as one PDF text
  object (``_TextCells``): a 1 000-row table costs a fraction of what it did.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, ClassVar
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    LongTable,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from reports.document import ReportData
from reports.rendering.charts import ChartStyle
from reports.rendering.formatting import format_date, format_money, typeset
from reports.rendering.labels import label
from reports.rendering.masking import NO_MASK, CountMask

FONT = "Vera"
FONT_BOLD = "VeraBd"
FONT_ITALIC = "VeraIt"
FONT_MONO = "Courier"

INK = colors.HexColor("#222222")
MUTED = colors.HexColor("#5f6b73")
ACCENT = colors.HexColor("#0b4f6c")
RULE = colors.HexColor("#c9d3d9")
HEADER_FILL = colors.HexColor("#e6eef2")
STRIPE_FILL = colors.HexColor("#f6f8f9")

# Left plus right padding of a table cell (reportlab's default 6 + 6).
_CELL_PADDING = 12.0

# Bigger tables use LongTable, whose layout is linear in the number of rows.
_LONG_TABLE_ROWS = 40


def register_fonts() -> None:
    """Register the Vera family that ships with reportlab (no download)."""
    # Vera is embedded, so the PDF looks the same in every viewer and in
    # pdftoppm, and it has the euro sign, guillemets and curly apostrophe.
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, "VeraBd.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_ITALIC, "VeraIt.ttf"))
    pdfmetrics.registerFont(TTFont("VeraBI", "VeraBI.ttf"))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic="VeraBI"
    )


@dataclass(frozen=True, slots=True)
class Section:
    """A top-level part of the report, listed in the table of contents."""

    key: str
    title: str
    build: Callable[[], list[Flowable]]
    # Start on a fresh page rather than below the previous section.
    new_page: bool = True


@dataclass(frozen=True, slots=True)
class Metadata:
    """The PDF document information dictionary."""

    title: str
    author: str
    subject: str
    keywords: str


class ReportRenderer:
    """Render one edition of the evaluation report; subclass to add sections."""

    edition: ClassVar[str] = ""
    pagesize: ClassVar[tuple[float, float]] = A4
    margin_x: ClassVar[float] = 20 * mm
    margin_top: ClassVar[float] = 22 * mm
    margin_bottom: ClassVar[float] = 20 * mm

    def __init__(self, data: ReportData) -> None:
        if data.edition != self.edition:
            raise ValueError(f"{type(self).__name__} renders {self.edition!r} reports only")
        self.data = data
        self.lang: str = data.language
        self.mask = self.get_mask()
        register_fonts()
        self.styles = self.get_styles()
        self.chart_style = ChartStyle(font=FONT)
        # Page of each section heading, filled in while the story is drawn.
        self._heading_pages: dict[str, int] = {}
        self._page_count = 0

    # -- hooks ---------------------------------------------------------------

    def get_mask(self) -> CountMask:
        """Return how participant counts are masked in this edition."""
        return NO_MASK

    def get_sections(self) -> list[Section]:
        """Return the sections after the cover and contents, in order."""
        raise NotImplementedError

    def get_cover(self) -> list[Flowable]:
        """Return the flowables of the cover page."""
        raise NotImplementedError

    def get_metadata(self) -> Metadata:
        """Return the PDF title, author, subject and keywords."""
        raise NotImplementedError

    def get_styles(self) -> dict[str, ParagraphStyle]:
        """Return the paragraph styles by name."""
        base = ParagraphStyle(
            "body", fontName=FONT, fontSize=9.5, leading=13.5, textColor=INK, spaceAfter=5
        )
        return {
            "body": base,
            "small": ParagraphStyle("small", base, fontSize=8, leading=10.5, textColor=MUTED),
            "cell": ParagraphStyle("cell", base, fontSize=8, leading=10, spaceAfter=0),
            "cell_head": ParagraphStyle(
                "cell_head", base, fontName=FONT_BOLD, fontSize=8, leading=10, spaceAfter=0
            ),
            "cell_head_right": ParagraphStyle(
                "cell_head_right",
                base,
                fontName=FONT_BOLD,
                fontSize=8,
                leading=10,
                spaceAfter=0,
                alignment=TA_RIGHT,
            ),
            "h1": ParagraphStyle(
                "h1",
                base,
                fontName=FONT_BOLD,
                fontSize=16,
                leading=20,
                textColor=ACCENT,
                spaceBefore=0,
                spaceAfter=10,
                keepWithNext=True,
            ),
            "h2": ParagraphStyle(
                "h2",
                base,
                fontName=FONT_BOLD,
                fontSize=11.5,
                leading=15,
                textColor=ACCENT,
                spaceBefore=10,
                spaceAfter=5,
            ),
            "caption": ParagraphStyle(
                "caption", base, fontName=FONT_BOLD, fontSize=8.5, leading=11, spaceBefore=8
            ),
            "mono": ParagraphStyle(
                "mono", base, fontName=FONT_MONO, fontSize=8.5, leading=12, spaceAfter=2
            ),
            "cover_kicker": ParagraphStyle(
                "cover_kicker", base, fontName=FONT_BOLD, fontSize=11, textColor=MUTED
            ),
            "cover_title": ParagraphStyle(
                "cover_title",
                base,
                fontName=FONT_BOLD,
                fontSize=24,
                leading=30,
                textColor=ACCENT,
                spaceAfter=14,
                alignment=TA_LEFT,
            ),
            "cover_edition": ParagraphStyle(
                "cover_edition", base, fontName=FONT_BOLD, fontSize=12, leading=16, spaceAfter=18
            ),
        }

    def get_page_templates(self, doc: BaseDocTemplate) -> list[PageTemplate]:
        """Return the cover template then the body template."""
        frame = Frame(
            self.margin_x,
            self.margin_bottom,
            self.pagesize[0] - 2 * self.margin_x,
            self.pagesize[1] - self.margin_top - self.margin_bottom,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="body",
        )
        return [
            PageTemplate("cover", [frame], onPage=self.draw_footer),
            PageTemplate("body", [frame], onPage=self._draw_page_furniture),
        ]

    def draw_header(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """Draw the running header: programme name and edition."""
        width, height = self.pagesize
        y = height - 13 * mm
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        room = width - 2 * self.margin_x
        edition = self.edition_label()
        left_room = room - stringWidth(edition, FONT, 7.5) - 12
        canvas.drawString(self.margin_x, y, _clip(typeset(self.data.programme.name), left_room))
        canvas.drawRightString(width - self.margin_x, y, edition)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(self.margin_x, y - 3, width - self.margin_x, y - 3)

    def draw_footer(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """Draw "Page n / total" and the report date."""
        width, _ = self.pagesize
        y = 11 * mm
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        # The total is unknown until the end: draw the known prefix now and
        # reference a form that ``_finish`` fills with the page count.
        prefix = label(self.lang, "page_of").split("{total}")[0].format(page=doc.page)
        canvas.drawString(self.margin_x, y, prefix)
        canvas.saveState()
        canvas.translate(self.margin_x + stringWidth(prefix, FONT, 7.5), y)
        canvas.doForm("page-total")
        canvas.restoreState()
        canvas.drawRightString(
            width - self.margin_x, y, format_date(self.data.report_date, self.lang)
        )

    # -- building ------------------------------------------------------------

    def render(self) -> bytes:
        """Return the PDF bytes; the same data always gives the same bytes."""
        buffer = io.BytesIO()
        meta = self.get_metadata()
        doc = BaseDocTemplate(
            buffer,
            pagesize=self.pagesize,
            leftMargin=self.margin_x,
            rightMargin=self.margin_x,
            topMargin=self.margin_top,
            bottomMargin=self.margin_bottom,
            title=typeset(meta.title),
            author=typeset(meta.author),
            subject=typeset(meta.subject),
            keywords=typeset(meta.keywords),
            creator="sib-ledger reports",
            lang="fr-FR" if self.lang == "fr" else "en-GB",
            # No creation time, fixed document id: byte-identical rebuilds.
            invariant=1,
        )
        doc.addPageTemplates(self.get_page_templates(doc))
        doc.build(self.get_story(), canvasmaker=partial(_FinishingCanvas, finish=self._finish))
        return buffer.getvalue()

    def get_story(self) -> list[Flowable]:
        """Return cover, contents and every section, ready for layout."""
        sections = self.get_sections()
        story: list[Flowable] = [*self.get_cover(), NextPageTemplate("body"), PageBreak()]
        story.append(Paragraph(escape(label(self.lang, "toc")), self.styles["h1"]))
        story += [_TocLine(s.key, s.title) for s in sections]
        for section in sections:
            story.append(PageBreak() if section.new_page else CondPageBreak(120))
            story.append(self.heading(section.key, section.title))
            story += section.build()
        return story

    def _draw_page_furniture(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        self.draw_header(canvas, doc)
        self.draw_footer(canvas, doc)

    def _finish(self, canvas: Canvas) -> None:
        """Define the forms that hold numbers known only after layout."""
        total = canvas.getPageNumber() - 1
        _define_text_form(canvas, "page-total", str(total), anchor="start")
        for key, page in self._heading_pages.items():
            _define_text_form(canvas, f"toc-{key}", str(page), anchor="end")

    # -- helpers for sections --------------------------------------------------

    def t(self, key: str) -> str:
        """Return a fixed label in the report's language (unescaped)."""
        return label(self.lang, key)

    def edition_label(self) -> str:
        """Return the edition's name as printed."""
        return self.t(f"edition_{self.edition}")

    def money(self, minor: int) -> str:
        """Return an amount in the programme's currency, formatted for the PDF."""
        return typeset(format_money(minor, self.data.programme.currency, self.lang))

    def para(self, text: str, style: str = "body") -> Paragraph:
        """Return a Paragraph showing ``text`` literally (escaped)."""
        return Paragraph(escape(typeset(text)), self.styles[style])

    def markup(self, key: str, style: str = "body", **values: str) -> Paragraph:
        """Return a Paragraph from a trusted label template and escaped values."""
        safe = {name: escape(typeset(value)) for name, value in values.items()}
        return Paragraph(escape(self.t(key)).format(**safe), self.styles[style])

    def labelled(self, key: str, text: str) -> Paragraph:
        """Return "Label: text" with the label in bold and ``text`` escaped."""
        return Paragraph(
            f"<b>{escape(self.t(key))}</b> — {escape(typeset(text))}", self.styles["body"]
        )

    def cell_lines(self, lines: Sequence[str]) -> CellLines:
        """Return a table cell showing each of ``lines`` literally, one per line."""
        return CellLines(lines)

    def heading(self, key: str, title: str, level: int = 0) -> Flowable:
        """Return a section heading that records its page for the contents."""
        return _Heading(
            escape(typeset(title)),
            self.styles["h1" if level == 0 else "h2"],
            key=key,
            title=typeset(title),
            level=level,
            pages=self._heading_pages,
        )

    def subheading(self, text: str) -> list[Flowable]:
        """Return a second-level heading (not in the contents)."""
        # keepWithNext would glue the heading to a long table and push both
        # to the next page, leaving a near-empty one; asking only for room
        # for the heading and a few rows avoids an orphan heading as well.
        return [CondPageBreak(90), Paragraph(escape(typeset(text)), self.styles["h2"])]

    def table(
        self,
        header: Sequence[str] | None,
        rows: Sequence[Sequence[str | CellLines | Flowable]],
        widths: Sequence[float],
        *,
        numeric: Sequence[int] = (),
        bold_last: bool = False,
    ) -> Table:
        """Return a striped table whose header row repeats on every page.

        ``widths`` are fractions of the text width; ``numeric`` lists the
        columns to right-align. ``str`` cells (and ``CellLines``) are drawn
        as plain text, never parsed as markup, so they need no escaping: one
        that does not fit its column is wrapped at spaces here (a word longer
        than the column is cut), which is several times cheaper than a
        Paragraph per cell. Without a header the table is a plain list.
        """
        full = self.pagesize[0] - 2 * self.margin_x
        col_widths = [w * full for w in widths]
        room = [width - _CELL_PADDING for width in col_widths]
        last = len(rows) - 1
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
            body.insert(
                0, [_fit(h, width, FONT_BOLD) for h, width in zip(header, room, strict=True)]
            )
        cls = _LongTable if len(rows) > _LONG_TABLE_ROWS else _Table
        # Every row of plain text has a known height: giving it spares reportlab measuring
        # each cell again for every page the table is split over.
        heights = [_row_height(row) for row in body]
        table = cls(body, colWidths=col_widths, rowHeights=heights, repeatRows=first)
        commands: list[tuple[Any, ...]] = [
            ("FONT", (0, 0), (-1, -1), FONT, _CELL_SIZE, _CELL_LEADING),
            ("TEXTCOLOR", (0, 0), (-1, -1), INK),
            ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
            ("ROWBACKGROUNDS", (0, first), (-1, -1), [colors.white, STRIPE_FILL]),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), _CELL_TOP_PADDING),
            ("BOTTOMPADDING", (0, 0), (-1, -1), _CELL_BOTTOM_PADDING),
        ]
        if header is not None:
            commands.append(("FONT", (0, 0), (-1, 0), FONT_BOLD, _CELL_SIZE, _CELL_LEADING))
            commands.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL))
            commands.append(("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT))
        else:
            commands.append(("LINEABOVE", (0, 0), (-1, 0), 0.8, ACCENT))
        for column in numeric:
            commands.append(("ALIGN", (column, 0), (column, -1), "RIGHT"))
        if bold_last and rows:
            commands.append(("FONT", (0, -1), (-1, -1), FONT_BOLD, _CELL_SIZE, _CELL_LEADING))
            commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, ACCENT))
        table.setStyle(TableStyle(commands))
        return table

    def fitted_widths(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        stretch: int,
    ) -> list[float]:
        """Return column widths sized to the content, the rest going to column ``stretch``.

        Each other column gets its widest text (a header only its widest word, as it
        may wrap), at most half as wide again as planned in ``widths``; column
        ``stretch`` (free text, e.g. a note) takes what is left. Rows that need not
        wrap take one line instead of two: a long table gets far fewer pages. When
        that would leave column ``stretch`` less than three quarters of its planned
        width, the planned widths are kept.
        """
        full = self.pagesize[0] - 2 * self.margin_x
        natural = [
            max(_width(word, FONT_BOLD) for word in _BREAKS.split(typeset(h)) or [""])
            for h in header
        ]
        for row in rows:
            for i, cell in enumerate(row):
                width = _width(typeset(cell), FONT)
                if width > natural[i]:
                    natural[i] = width
        out = [
            min(n + _CELL_PADDING + 0.5, 1.5 * w * full)
            for n, w in zip(natural, widths, strict=True)
        ]
        out[stretch] = 0.0
        rest = full - sum(out)
        if rest < 0.75 * widths[stretch] * full:
            return list(widths)
        out[stretch] = rest
        return [width / full for width in out]

    def key_values(self, pairs: Sequence[tuple[str, str]]) -> Table:
        """Return a two-column table of label and value, values right-aligned."""
        return self.table(
            [self.t("figure"), self.t("value")],
            [[k, v] for k, v in pairs],
            [0.62, 0.38],
            numeric=[1],
        )

    def figure(self, caption: str, drawing: Drawing) -> Flowable:
        """Return a captioned chart kept on one page."""
        return KeepTogether([self.para(caption, "caption"), Spacer(1, 4), drawing])


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
                    if fontsize == _CELL_SIZE
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


class _FinishingCanvas(Canvas):
    """A canvas that calls ``finish`` just before it writes the file."""

    def __init__(self, *args: Any, finish: Callable[[Canvas], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._finish = finish

    def save(self) -> None:
        self._finish(self)
        super().save()


class _Heading(Paragraph):
    """A heading that bookmarks itself and notes its page for the contents."""

    def __init__(
        self,
        text: str,
        style: ParagraphStyle,
        *,
        key: str,
        title: str,
        level: int,
        pages: dict[str, int],
    ) -> None:
        super().__init__(text, style)
        self._key = key
        self._title = title
        self._level = level
        self._pages = pages

    def draw(self) -> None:
        canvas = self.canv
        # A heading split from its text would be drawn once per part; the
        # first drawing is the one the contents must point at.
        self._pages.setdefault(self._key, canvas.getPageNumber())
        canvas.bookmarkHorizontal(self._key, 0, self.height + 6)
        canvas.addOutlineEntry(self._title, self._key, level=self._level)
        super().draw()


class _TocLine(Flowable):
    """One line of the contents: title, dotted leader, page number, link."""

    _height = 17.0

    def __init__(self, key: str, title: str) -> None:
        super().__init__()
        self._key = key
        self._title = typeset(title)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        return availWidth, self._height

    def draw(self) -> None:
        canvas = self.canv
        size = 10.0
        number_room = 28.0
        title = _clip(self._title, self.width - number_room - 20, size=size)
        canvas.setFont(FONT, size)
        canvas.setFillColor(INK)
        canvas.drawString(0, 5, title)
        start = stringWidth(title, FONT, size) + 6
        canvas.setStrokeColor(RULE)
        canvas.setDash(1, 2)
        canvas.line(start, 6, self.width - number_room, 6)
        canvas.setDash()
        canvas.saveState()
        canvas.translate(self.width, 5)
        canvas.doForm(f"toc-{self._key}")
        canvas.restoreState()
        canvas.linkRect("", self._key, (0, 0, self.width, self._height), relative=1, thickness=0)


class CellLines(tuple[str, ...]):
    """Lines of a table cell shown one under the other, each wrapped on its own."""

    def __new__(cls, lines: Iterable[str]) -> CellLines:
        return super().__new__(cls, lines)


# Table cells: Vera 8 on a 10-point leading, as the "cell" paragraph style.
_CELL_SIZE = 8.0
_CELL_LEADING = 10.0
_CELL_TOP_PADDING = 3.0
_CELL_BOTTOM_PADDING = 3.0
_BREAKS = re.compile(r"[ \t\n\r\f\v]+")  # not the no-break spaces typeset puts in


@lru_cache(maxsize=1 << 16)
def _width(text: str, font: str) -> float:
    """Return the width of ``text`` in a table cell, remembered: cells repeat words a lot."""
    return stringWidth(text, font, _CELL_SIZE)


def _fit(value: str | CellLines | Flowable, room: float, font: str) -> str | Flowable:
    """Return a cell value as plain text wrapped to ``room`` points, or the flowable."""
    if isinstance(value, CellLines):
        return "\n".join(_wrap(typeset(line), room, font) for line in value)
    if not isinstance(value, str):
        return value
    text = typeset(value)
    if "\n" not in text and _width(text, font) <= room:
        return text
    return _wrap(text, room, font)


def _row_height(row: Sequence[str | Flowable]) -> float | None:
    """Return the height reportlab gives a row of text cells (None: it has a flowable)."""
    lines = 1
    for cell in row:
        if not isinstance(cell, str):
            return None
        lines = max(lines, cell.count("\n") + 1)
    return lines * _CELL_LEADING + _CELL_TOP_PADDING + _CELL_BOTTOM_PADDING


def _wrap(text: str, room: float, font: str) -> str:
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
        if stringWidth(word[:middle], font, _CELL_SIZE) <= room:
            low = middle
        else:
            high = middle - 1
    return low


def _define_text_form(canvas: Canvas, name: str, text: str, *, anchor: str) -> None:
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


def _clip(text: str, width: float, *, size: float = 7.5) -> str:
    """Return ``text`` cut with an ellipsis to fit ``width`` points."""
    if stringWidth(text, FONT, size) <= width:
        return text
    while text and stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text + "…"
