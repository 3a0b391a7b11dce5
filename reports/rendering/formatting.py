"""
Format numbers, percentages and dates for French and English readers.

Money is not formatted here: ``format_money`` delegates to
``sib.money.format_money`` so the PDF, the portal and e-mails agree on one
rendering of an amount.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from reports.rendering.labels import label, month_names
from sib.dates import day_in_words

# Same spaces as sib.money: French groups digits with a narrow no-break space
# and puts a no-break space before % and €.
NBSP = "\u00a0"
NNBSP = "\u202f"
MULTIPLY = "\u00d7"

# The embedded font (Vera) has no glyph for thin spaces; print them as
# no-break spaces, which read the same and still never break.
_TYPESET = str.maketrans({NNBSP: NBSP, "\u2009": NBSP, "\u2007": NBSP})


def typeset(text: str) -> str:
    """Return ``text`` with characters the PDF font lacks replaced."""
    return text.translate(_TYPESET)


Ratio = Fraction | Decimal | int


def format_money(minor: int, currency: str, lang: str) -> str:
    """Return ``minor`` units of ``currency`` as the project formats money."""
    # Imported here so the rest of the renderer stays usable (and testable)
    # on its own; sib.money owns the one money formatter.
    from sib.money import format_money as _format_money

    return _format_money(minor, currency, lang)


def format_number(value: int, lang: str) -> str:
    """Return an integer with thousands grouped: 1 234 (fr), 1,234 (en)."""
    grouped = f"{value:,}"
    return grouped.replace(",", NNBSP) if lang == "fr" else grouped


def format_decimal(value: Ratio, lang: str, places: int = 1) -> str:
    """Return ``value`` rounded half-up to ``places`` decimals, localised."""
    rounded = _quantize(value, places)
    sign = "-" if rounded < 0 else ""
    text = f"{abs(rounded):.{places}f}"
    whole, _, frac = text.partition(".")
    whole = format_number(int(whole), lang)
    if not frac:
        return sign + whole
    return sign + whole + ("," if lang == "fr" else ".") + frac


def format_percent(ratio: Ratio, lang: str, places: int = 1) -> str:
    """Return a ratio (0.125) as a percentage: 12,5 % (fr), 12.5% (en)."""
    number = format_decimal(_as_decimal(ratio) * 100, lang, places)
    return f"{number}{NBSP}%" if lang == "fr" else f"{number}%"


def format_points(ratio: Ratio, lang: str, places: int = 1) -> str:
    """Return a difference of rates in percentage points, signed."""
    number = format_decimal(_as_decimal(ratio) * 100, lang, places)
    if not number.startswith("-"):
        number = "+" + number
    return f"{number}{NBSP}pts" if lang == "fr" else f"{number} pp"


def format_multiple(value: Decimal | None, lang: str) -> str:
    """Return a multiple such as MOIC (1,12x), or "not defined" for None."""
    if value is None:
        return label(lang, "not_defined")
    return format_decimal(value, lang, 2) + MULTIPLY


def format_optional_percent(value: Decimal | None, lang: str) -> str:
    """Return a percentage such as an XIRR, or "not defined" for None."""
    if value is None:
        return label(lang, "not_defined")
    return format_percent(value, lang)


def format_date(value: date, lang: str) -> str:
    """Return a long date: 28 novembre 2026, 1er mars 2026 / 28 November 2026."""
    month = month_names(lang)[value.month - 1]
    return f"{day_in_words(value.day, lang)} {month} {value.year}"


def format_cell_date(value: date, lang: str) -> str:
    """Return a long date that never wraps, for a table cell: 1er\u00a0juillet\u00a02028."""
    return format_date(value, lang).replace(" ", NBSP)


def format_month(value: date, lang: str) -> str:
    """Return a month and year: janvier 2026 / January 2026."""
    return f"{month_names(lang)[value.month - 1]} {value.year}"


def _as_decimal(value: Ratio) -> Decimal:
    if isinstance(value, Fraction):
        # Enough digits for any display rounding; Fractions come from counts.
        with localcontext() as ctx:
            ctx.prec = 28
            return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value)


def _quantize(value: Ratio, places: int) -> Decimal:
    return _as_decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
