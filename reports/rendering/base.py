"""
Lay out a ``ReportData`` as an A4 PDF, with small hooks for each edition.

``ReportRenderer`` owns the machinery every edition shares: page templates, header and
footer hooks, table of contents, tables, escaping and metadata. Subclasses
(``public.PublicRenderer``, ``manager.ManagerRenderer``) only decide which sections to
print, through ``get_sections``. The parts live beside it, one job each: fonts, colours
and paragraph styles (``styles``), tables (``tables``), the contents' flowables
(``flowables``) and the page furniture (``pages``).

Design points worth knowing before changing this file:

- One layout pass. Page numbers that are only known at the end ("Page 3 / 12",
  the contents' page numbers) are drawn as PDF form XObjects referenced while
  laying out and defined when the canvas is saved (``pages``). reportlab's
  ``multiBuild`` would lay the whole story out two or three times instead.
- Escaping. Paragraph text is markup to reportlab: an unescaped ``<img src>``
  in a programme name would be fetched. Every user string printed as a
  Paragraph goes through ``para``, ``markup`` or ``labelled``, which escape;
  label templates are trusted but the values interpolated into them are
  escaped too. Table cells (``table``) and canvas ``drawString`` calls are
  plain text, never parsed, so they need no escaping.
- Speed. Table cells are wrapped in ``tables`` (word widths cached), not by a
  Paragraph per cell, and a table's text is drawn as one PDF text object: a
  1 000-row table costs a fraction of what it did.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import ClassVar
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
)

from reports.document import ReportData
from reports.rendering import pages, tables
from reports.rendering.charts import ChartStyle
from reports.rendering.flowables import Heading, TocLine
from reports.rendering.formatting import format_money, typeset
from reports.rendering.labels import label
from reports.rendering.masking import NO_MASK, CountMask
from reports.rendering.styles import FONT, paragraph_styles, register_fonts
from reports.rendering.tables import CellLines


@dataclass(frozen=True, slots=True)
class Section:
    """A top-level part of the report, listed in the table of contents."""

    key: str
    title: str
    build: Callable[[], list[Flowable]]
    # Start on a fresh page rather than below the previous section.
    new_page: bool = True
    # Keep heading and body on one page: split, a short section left its last
    # line alone on a page of its own.
    keep_together: bool = False


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
        return paragraph_styles()

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
        pages.draw_header(
            canvas,
            pagesize=self.pagesize,
            margin_x=self.margin_x,
            programme=self.data.programme.name,
            edition=self.edition_label(),
        )

    def draw_footer(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """Draw "Page n / total" and the report date."""
        pages.draw_footer(
            canvas,
            pagesize=self.pagesize,
            margin_x=self.margin_x,
            page=doc.page,
            lang=self.lang,
            report_date=self.data.report_date,
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
        doc.build(self.get_story(), canvasmaker=partial(pages.FinishingCanvas, finish=self._finish))
        return buffer.getvalue()

    def get_story(self) -> list[Flowable]:
        """Return cover, contents and every section, ready for layout."""
        sections = self.get_sections()
        story: list[Flowable] = [*self.get_cover(), NextPageTemplate("body"), PageBreak()]
        story.append(Paragraph(escape(label(self.lang, "toc")), self.styles["h1"]))
        story += [TocLine(s.key, s.title) for s in sections]
        for section in sections:
            story.append(PageBreak() if section.new_page else CondPageBreak(120))
            body = [self.heading(section.key, section.title), *section.build()]
            story += [KeepTogether(body)] if section.keep_together else body
        return story

    def _draw_page_furniture(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        self.draw_header(canvas, doc)
        self.draw_footer(canvas, doc)

    def _finish(self, canvas: Canvas) -> None:
        """Define the forms that hold numbers known only after layout."""
        total = canvas.getPageNumber() - 1
        pages.define_text_form(canvas, "page-total", str(total), anchor="start")
        for key, page in self._heading_pages.items():
            pages.define_text_form(canvas, f"toc-{key}", str(page), anchor="end")

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
        return Heading(
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

        ``widths`` are fractions of the text width; the rest is
        ``tables.striped_table``'s: plain-text cells, wrapped, never parsed.
        """
        full = self.pagesize[0] - 2 * self.margin_x
        col_widths = [w * full for w in widths]
        return tables.striped_table(header, rows, col_widths, numeric=numeric, bold_last=bold_last)

    def fitted_widths(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        stretch: int,
    ) -> list[float]:
        """Return column widths sized to the content (``tables.fitted_widths``)."""
        full = self.pagesize[0] - 2 * self.margin_x
        return tables.fitted_widths(header, rows, widths, full=full, stretch=stretch)

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
