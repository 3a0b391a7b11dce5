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
  in a programme name would be fetched. Every user string goes through
  ``para``, ``markup`` or ``table``, which escape; label templates are trusted but the values
  interpolated into them are escaped too. Plain ``str`` table cells and
  canvas ``drawString`` calls are not parsed, so they need no escaping.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
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

    def cell_lines(self, lines: Sequence[str]) -> Paragraph:
        """Return a table cell showing each of ``lines`` literally, one per line."""
        text = "<br/>".join(escape(typeset(line)) for line in lines)
        return Paragraph(text, self.styles["cell"])

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
        rows: Sequence[Sequence[str | Flowable]],
        widths: Sequence[float],
        *,
        numeric: Sequence[int] = (),
        bold_last: bool = False,
    ) -> Table:
        """Return a striped table whose header row repeats on every page.

        ``widths`` are fractions of the text width; ``numeric`` lists the
        columns to right-align. A ``str`` cell that fits its column is drawn
        as-is (never parsed as markup); a longer one becomes an escaped,
        wrapping Paragraph. Without a header the table is a plain list.
        """
        full = self.pagesize[0] - 2 * self.margin_x
        col_widths = [w * full for w in widths]
        body = [
            [self._fit(c, width) for c, width in zip(row, col_widths, strict=True)] for row in rows
        ]
        first = 0
        if header is not None:
            first = 1
            body.insert(
                0,
                [
                    Paragraph(
                        escape(h), self.styles["cell_head_right" if i in numeric else "cell_head"]
                    )
                    for i, h in enumerate(header)
                ],
            )
        cls = LongTable if len(rows) > _LONG_TABLE_ROWS else Table
        table = cls(body, colWidths=col_widths, repeatRows=first)
        commands: list[tuple[Any, ...]] = [
            ("FONT", (0, first), (-1, -1), FONT, 8),
            ("TEXTCOLOR", (0, first), (-1, -1), INK),
            ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
            ("ROWBACKGROUNDS", (0, first), (-1, -1), [colors.white, STRIPE_FILL]),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        if header is not None:
            commands.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL))
            commands.append(("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT))
        else:
            commands.append(("LINEABOVE", (0, 0), (-1, 0), 0.8, ACCENT))
        for column in numeric:
            commands.append(("ALIGN", (column, first), (column, -1), "RIGHT"))
        if bold_last and rows:
            commands.append(("FONT", (0, -1), (-1, -1), FONT_BOLD, 8))
            commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, ACCENT))
        table.setStyle(TableStyle(commands))
        return table

    def _fit(self, value: str | Flowable, width: float) -> str | Flowable:
        # Plain strings are several times cheaper to lay out than Paragraphs,
        # which matters for tables of hundreds of rows; wrap only when needed.
        if not isinstance(value, str):
            return value
        text = typeset(value)
        if stringWidth(text, FONT, 8) <= width - _CELL_PADDING:
            return text
        return Paragraph(escape(text), self.styles["cell"])

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
