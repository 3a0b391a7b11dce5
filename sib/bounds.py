"""The bounds of every value that comes in, in one place (README, "Bounds").

The API serializers, the results CSV import and the programme definition format all read
their limits from here, so a value the API refuses is refused by the file loaders too,
and none reaches a column it does not fit (a 2**70 amount used to reach a bigint column
and answer 500). The bounds are far above any real deal and well inside the columns:

- money: 0 to 10^15 minor units (ten thousand billion euros; bigint holds 9.2 x 10^18);
- counts (participants, sample sizes, planned sizes, metric caps): at most 999,999,999,
  nine digits, inside PostgreSQL's int4;
- names: their column (200 characters), codes 40, slugs 80;
- free text (notes, reasons, comments, descriptions): 10,000 characters;
- no NUL or other control character but tab, line feed and carriage return, in any
  string or JSON key: PostgreSQL text and jsonb cannot hold a NUL at all.

This module imports no ORM: the rules engine and the format validators use it too.
"""

import math
import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

MAX_MONEY = 10**15
MAX_COUNT = 999_999_999
MAX_NAME_CHARS = 200
MAX_CODE_CHARS = 40
MAX_SLUG_CHARS = 80
MAX_TEXT_CHARS = 10_000
# Results and rates: numeric(20, 6) columns, at most 14 digits before the point.
MAX_DECIMAL_INTEGER_DIGITS = 14
MAX_DECIMAL_PLACES = 6
# Nesting of a JSON body or definition: the deepest real one (a mechanism's tiers inside a
# metric inside a list) is 5; past this the parser is not even run.
MAX_JSON_DEPTH = 32
# No integer in a JSON body or definition is larger than the largest bound above.
MAX_JSON_INTEGER = MAX_MONEY

# C0 controls but tab, LF and CR; DEL; lone surrogates (json.loads lets "\ud800" through,
# and PostgreSQL refuses it).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Django's slug: what SlugField columns (codes, keys, slugs) hold.
_CODE = re.compile(r"[-a-zA-Z0-9_]+")
_PLAIN_DECIMAL = re.compile(r"[+-]?\d+(\.\d+)?")


def grouped(number: int) -> str:
    """Return a bound for a message, digits grouped: 1,000,000,000,000,000."""
    return f"{number:,}"


def control_character_error(text: str) -> str | None:
    """Return why `text` is refused for a control character, or None."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    return _("Contains a control character (U+%(code)04X) at position %(at)s; remove it.") % {
        "code": ord(found.group()),
        "at": found.start() + 1,
    }


def control_character_safe(text: str) -> str:
    """Return `text` with its control characters shown as "?" (to name a bad key)."""
    return _CONTROL.sub("?", text)


def code_error(value: str) -> str | None:
    """Return why `value` is not a code or slug (its column is a SlugField), or None.

    The model's field does not check what is created through the ORM: "in work" was
    stored as a metric's code and then could not be named in a URL or a CSV.
    """
    if _CODE.fullmatch(value):
        return None
    return _(
        "%(value)r is not a code: use only letters, digits, hyphens and underscores, "
        "without spaces."
    ) % {"value": value}


def integer_error(value: Any, *, maximum: int, minimum: int = 0, unit: str = "") -> str | None:
    """Return why `value` is not a whole number in [minimum, maximum], or None.

    Only a real integer passes: not a bool, not 1000.0 (a JSON float), not "1e3".
    """
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float | Decimal):
            return _("%(value)s is not a whole number: write it without a decimal point.") % {
                "value": value
            }
        return _("Must be a whole number.")
    if value < minimum:
        return _("Must be at least %(minimum)s.") % {"minimum": grouped(minimum)}
    if value > maximum:
        return _("Too large: at most %(maximum)s%(unit)s.") % {
            "maximum": grouped(maximum),
            "unit": unit,
        }
    return None


def money_error(value: Any, *, minimum: int = 0) -> str | None:
    """Return why `value` is not an amount of minor units within the bounds, or None."""
    return integer_error(
        value, maximum=MAX_MONEY, minimum=minimum, unit=" " + _("minor units (cents)")
    )


def count_error(value: Any, *, minimum: int = 0) -> str | None:
    """Return why `value` is not a count within the bounds, or None."""
    return integer_error(value, maximum=MAX_COUNT, minimum=minimum)


def decimal_text_error(
    text: str,
    *,
    integer_digits: int = MAX_DECIMAL_INTEGER_DIGITS,
    places: int = MAX_DECIMAL_PLACES,
) -> str | None:
    """Return why `text` is not a plain decimal within the bounds ("12.5"), or None.

    Exponents ("1e20") are refused with their own message: they are numbers, but not
    numbers as a person writes them in a ledger, and they hide their size.
    """
    value = text.strip()
    if _PLAIN_DECIMAL.fullmatch(value) is None:
        if re.fullmatch(r"[+-]?\d+(\.\d*)?[eE][+-]?\d+", value):
            return _(
                "%(value)r is written with an exponent: write the number in full, at most "
                "%(digits)s digits before the decimal point and %(places)s after."
            ) % {"value": text, "digits": integer_digits, "places": places}
        return _("%(value)r is not a number.") % {"value": text}
    whole, _point, fraction = value.lstrip("+-").partition(".")
    if len(whole.lstrip("0")) > integer_digits:
        return _("%(value)s is too large: at most %(digits)s digits before the decimal point.") % {
            "value": text,
            "digits": integer_digits,
        }
    if len(fraction) > places:
        return _("%(value)s has more than %(places)s decimal places.") % {
            "value": text,
            "places": places,
        }
    return None


def document_errors(value: Any, path: str = "", *, depth: int = 0) -> list[tuple[str, str]]:
    """Return (JSON path, message) for every out-of-bounds piece of a parsed JSON document.

    Refused anywhere: nesting deeper than MAX_JSON_DEPTH, an integer beyond
    MAX_JSON_INTEGER, a string longer than MAX_TEXT_CHARS, a control character in a
    string or a key. Each field's own, tighter bound is its validator's business.
    """
    errors: list[tuple[str, str]] = []
    if depth > MAX_JSON_DEPTH:
        return [(path, _("Nested deeper than %(depth)s levels.") % {"depth": MAX_JSON_DEPTH})]
    if isinstance(value, dict):
        for key, item in value.items():
            key_text = str(key)
            child = f"{path}.{key_text}" if path else key_text
            problem = control_character_error(key_text)
            if problem:
                shown = _CONTROL.sub("?", key_text)
                errors.append((f"{path}.{shown}" if path else shown, problem))
                continue
            errors.extend(document_errors(item, child, depth=depth + 1))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            errors.extend(document_errors(item, f"{path}[{index}]", depth=depth + 1))
    elif isinstance(value, str):
        problem = control_character_error(value)
        if problem:
            errors.append((path, problem))
        elif len(value) > MAX_TEXT_CHARS:
            errors.append(
                (
                    path,
                    _("Too long: at most %(count)s characters.")
                    % {"count": grouped(MAX_TEXT_CHARS)},
                )
            )
    elif isinstance(value, float) and not math.isfinite(value):
        errors.append((path, _("Not a finite number.")))
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_JSON_INTEGER:
        maximum = grouped(MAX_JSON_INTEGER)
        errors.append((path, _("Too large: at most %(maximum)s.") % {"maximum": maximum}))
    return errors


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text nests deeper than `limit`, found without parsing it.

    json.loads recurses once per level and 100,000 nested brackets end in RecursionError
    (a 500): this scan is linear and runs first. Brackets inside strings do not count.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        bracket = match.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif bracket in ("]", "}"):
            depth -= 1
    return False


# --- The programme definition (docs/programme-format.md) -----------------------------------
# Its bounds are in its JSON Schema (docs/programme-format.schema.json, checked by
# sib.programme_format.schema): the same numbers as here, which a test compares.
SMALLINT_MAX = 32_767
USERNAME_CHARS = 150
# Rates, shares, thresholds and factors: the integer digits of a result, finer fractions.
RATE_DECIMAL_PLACES = 12
