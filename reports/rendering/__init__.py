"""
Render evaluation reports as PDF, without touching the database.

Call ``render_report(data)`` with a ``reports.document.ReportData``; it picks
the renderer for ``data.edition`` and returns the PDF bytes.
"""

from __future__ import annotations

from reports.document import NoticeData, ReportData
from reports.rendering.base import ReportRenderer
from reports.rendering.manager import ManagerRenderer
from reports.rendering.notice import NoticeRenderer
from reports.rendering.public import PublicRenderer

RENDERERS: dict[str, type[ReportRenderer]] = {
    "public": PublicRenderer,
    "manager": ManagerRenderer,
    "payer_notice": NoticeRenderer,
}


def render_report(data: ReportData | NoticeData) -> bytes:
    """Return the PDF of ``data`` in its edition and language (a notice is an edition)."""
    return RENDERERS[data.edition](data).render()  # type: ignore[arg-type]


__all__ = ["ManagerRenderer", "NoticeRenderer", "PublicRenderer", "ReportRenderer", "render_report"]
