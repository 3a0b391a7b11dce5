"""Fonts, colours and paragraph styles every report edition shares."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont

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


def paragraph_styles() -> dict[str, ParagraphStyle]:
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
            # Clear of a table above it; a frame drops it at the top of a page.
            spaceBefore=14,
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


def clip(text: str, width: float, *, size: float = 7.5) -> str:
    """Return ``text`` cut with an ellipsis to fit ``width`` points."""
    if stringWidth(text, FONT, size) <= width:
        return text
    while text and stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text + "…"
