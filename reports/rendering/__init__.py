"""
Render evaluation reports as PDF, without touching the database.

Call ``render_report(data)`` with a ``reports.document.ReportData``; it picks
the renderer for ``data.edition`` and returns the PDF bytes.
"""

from __future__ import annotations

from reports.document import ReportData
from reports.rendering.base import ReportRenderer
from reports.rendering.manager import ManagerRenderer
from reports.rendering.public import PublicRenderer

RENDERERS: dict[str, type[ReportRenderer]] = {
    "public": PublicRenderer,
    "manager": ManagerRenderer,
}


def render_report(data: ReportData) -> bytes:
    """Return the PDF of ``data`` in its edition and language."""
    return RENDERERS[data.edition](data).render()


__all__ = ["ManagerRenderer", "PublicRenderer", "ReportRenderer", "render_report"]
