"""Template filters for the portal: money and rates, in the page's language."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django import template
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language, pgettext

from sib.dates import format_date, format_datetime
from sib.money import format_money

register = template.Library()


@register.filter
def money(minor: int | None, currency: str) -> str:
    """Format integer minor units: {{ amount|money:programme.currency }}."""
    if minor is None:
        return "—"
    return format_money(int(minor), currency, get_language() or "fr")


@register.filter
def cap(minor: int | None, currency: str) -> str:
    """Format the contract cap: {{ programme.contract_cap|cap:programme.currency }}; a cap
    the contract does not give (null) is said to be unknown, never shown as a number."""
    if minor is None:
        return pgettext("contract cap", "unknown")
    return format_money(int(minor), currency, get_language() or "fr")


@register.filter
def isodate(value: str | date | None) -> str:
    """Format a document's ISO date ("2026-01-15") as the page's language writes it."""
    if value in (None, ""):
        return "—"
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return date_format(day, "SHORT_DATE_FORMAT", use_l10n=True)


@register.filter(expects_localtime=True)
def longdate(value: date | None) -> str:
    """Format a date in words, as Django's "DATE_FORMAT" with French's 1er (sib.dates)."""
    if not isinstance(value, date):
        return ""  # as Django's date filter: nothing for no date
    return format_date(value.date() if isinstance(value, datetime) else value)


@register.filter(expects_localtime=True)
def longdatetime(value: datetime | None) -> str:
    """Format a moment in words, as Django's "DATETIME_FORMAT" with French's 1er."""
    if not isinstance(value, datetime):
        return ""
    return format_datetime(value)


@register.filter
def percent(fraction: str | Decimal | Fraction | None, places: int = 1) -> str:
    """Format a fraction ("0.052113", or an exact Fraction) as a percentage ("5,2 %").

    Rounded half-up like reports.rendering.formatting.format_percent (number_format alone
    would cut the digits off), so a page and a report print the same figure.
    """
    if fraction is None or fraction == "":
        return "—"
    if isinstance(fraction, Fraction):
        value = Decimal(fraction.numerator) * 100 / Decimal(fraction.denominator)
    else:
        value = Decimal(str(fraction)) * 100
    rounded = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return f"{number_format(rounded, decimal_pos=places, use_l10n=True)}\u00a0%"


@register.filter
def rate(value: str | Decimal | None) -> str:
    """Format a rate given in percent ("62.5") with the decimals it has: "62,5 %", "100 %"."""
    if value in (None, ""):
        return "—"
    number = Decimal(str(value))
    places = max(0, -number.normalize().as_tuple().exponent)  # type: ignore[operator]
    return f"{number_format(number, decimal_pos=places, use_l10n=True)}\u00a0%"


@register.filter
def decimal(value: str | Decimal | None, places: int = 2) -> str:
    if value in (None, ""):
        return "—"
    return number_format(Decimal(str(value)), decimal_pos=places, use_l10n=True)


@register.filter
def multiple(value: str | Decimal | None) -> str:
    """Format a multiple such as a MOIC as the reports print it: "0,25×" (fr), "0.25×" (en).

    Rounded half-up to two decimals like reports.rendering.formatting.format_multiple
    (number_format alone would cut the digits off); a test checks the two agree.
    """
    if value in (None, ""):
        return "—"
    rounded = Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return number_format(rounded, decimal_pos=2, use_l10n=True) + "\u00d7"
