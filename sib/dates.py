"""Dates in words, in the reader's language: the one home of a date written out.

French writes the first of the month as an ordinal, « 1er janvier 2027 » (every other
day as a number, « 2 janvier 2027 »). Django's formats cannot say it (their "j" is a
number in every language), so the portal's date filters (`longdate` and `longdatetime`
in sib.templatetags.portal_format), the services' messages and the PDFs
(reports.rendering.formatting.format_date) all write dates through this module: Django's
format of the active language, with the day written by `day_in_words` where it is 1.
English is Django's format, unchanged.
"""

from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.translation import get_language

# The first of the month in French (« le premier »), as the PDFs and the portal write it.
FRENCH_FIRST = "1er"


def day_in_words(day: int, lang: str) -> str:
    """Return the day of the month as `lang` writes it in a date: 1er (fr), 1 (en)."""
    return FRENCH_FIRST if day == 1 and lang.startswith("fr") else str(day)


def _with_day(format_string: str, day: int) -> str:
    """Return a Django format string whose day ("j") is written in words: escaped
    literally where it is not a plain number (the French first of the month)."""
    words = day_in_words(day, get_language() or "")
    if words == str(day):
        return format_string
    literal = "".join(f"\\{char}" for char in words)
    out, escaped = [], False
    for char in format_string:
        if escaped or char == "\\":
            out.append(char)
            escaped = not escaped and char == "\\"
        else:
            out.append(literal if char == "j" else char)
    return "".join(out)


def format_date(value: date, name: str = "DATE_FORMAT") -> str:
    """Return `value` in the active language's long format: 1er janvier 2027 / Jan. 1, 2027."""
    return date_format(value, _with_day(get_format(name), value.day), use_l10n=True)


def format_datetime(value: datetime, name: str = "DATETIME_FORMAT") -> str:
    """Return a moment in the active language, on the current time zone's day."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, _with_day(get_format(name), value.day), use_l10n=True)
