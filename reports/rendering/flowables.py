"""Flowables of the contents: headings that note their page, and the contents' lines."""

from __future__ import annotations

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph

from reports.rendering.formatting import typeset
from reports.rendering.styles import FONT, INK, RULE, clip


class Heading(Paragraph):
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


class TocLine(Flowable):
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
        title = clip(self._title, self.width - number_room - 20, size=size)
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
