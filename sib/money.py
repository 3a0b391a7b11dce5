"""Money as integer minor units: the one allocator and the one formatter.

Every amount in the project is a Python ``int`` counting minor units (cents
for EUR, yen for JPY, fils for BHD). ``Decimal`` appears only at the edges: parsing user
input (``to_minor``), showing a value (``from_minor``, ``format_money``) and
weights or rates. ``float`` is refused everywhere, because a binary fraction
cannot hold 0.10 € exactly.

``allocate`` is the single largest-remainder allocator of the project; any
split of money (pro rata between investors, co-payer shares...) goes
through it so that the parts always add up to the whole, to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from math import lcm

from babel.core import get_global
from babel.numbers import get_currency_precision, list_currencies

__all__ = [
    "CURRENCIES_IN_USE",
    "CURRENCY_EXPONENTS",
    "MoneyError",
    "SubMinorUnitError",
    "UnknownCurrencyError",
    "allocate",
    "format_money",
    "from_minor",
    "minor_exponent",
    "to_minor",
]

# ISO 4217 codes that have no minor unit ("N.A." in the standard): precious metals, bond
# market units, the SDR, SUCRE, ADB unit, the test code and "no currency". An amount in
# them cannot be counted in integer minor units, so no programme is kept in them.
_NO_MINOR_UNIT = frozenset(
    {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"}
)


def _currency_exponents() -> dict[str, int]:
    """Return every ISO 4217 currency Babel knows, past or present, with its exponent.

    Babel carries the Unicode CLDR currency data, kept current with ISO 4217 by its
    releases: a new currency or a changed minor unit arrives with an upgrade, not an edit.
    Withdrawn currencies stay here, so that a programme kept in one still reads.
    """
    return {
        code: get_currency_precision(code)
        for code in sorted(list_currencies())
        if len(code) == 3 and code.isalpha() and code.isupper() and code not in _NO_MINOR_UNIT
    }


def _currencies_in_use() -> frozenset[str]:
    """Return the currencies legal tender somewhere today (CLDR's territory currencies).

    A new programme is kept in one of these: not a withdrawn currency (FRF), nor a fund
    code that is no money (CLF, the Chilean unit of account, is indexed, not paid).
    """
    return frozenset(
        code
        for spans in get_global("territory_currencies").values()
        for code, _start, end, tender in spans
        if end is None and tender and code in CURRENCY_EXPONENTS
    )


# ISO 4217 minor-unit exponents of every currency the ledger can read (EUR 2, JPY 0,
# KRW 0, CLP 0, BHD 3...), from Babel's copy of the CLDR data.
CURRENCY_EXPONENTS: dict[str, int] = _currency_exponents()
# The currencies a new programme may be kept in.
CURRENCIES_IN_USE: frozenset[str] = _currencies_in_use()

# Symbols for the currencies whose sign no reader mistakes; every other currency is
# written with its ISO code ("1 234,50 DKK"), which no reader mistakes either ("$" alone
# would not say whose dollar).
_SYMBOLS: dict[str, str] = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}

NARROW_NO_BREAK_SPACE = "\u202f"
NO_BREAK_SPACE = "\u00a0"


class MoneyError(ValueError):
    """Base class of money errors."""


class UnknownCurrencyError(MoneyError):
    """The currency is not in ``CURRENCY_EXPONENTS``."""


class SubMinorUnitError(MoneyError):
    """The amount has more decimals than the currency's minor unit."""


def minor_exponent(currency: str) -> int:
    """Return the ISO 4217 minor-unit exponent of ``currency``."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise UnknownCurrencyError(f"unknown currency {currency!r}") from None


def _require_int(value: object, name: str) -> int:
    # bool is an int subclass; True cents is always a bug.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int of minor units, not {type(value).__name__}")
    return value


def _integer_weights(weights: Sequence[int | Decimal]) -> list[int]:
    """Return integer weights proportional to ``weights`` (exactly)."""
    if all(type(w) is int for w in weights):
        ints = list(weights)
    else:
        ratios: list[tuple[int, int]] = []
        for w in weights:
            if isinstance(w, bool) or not isinstance(w, int | Decimal):
                raise TypeError(f"weights must be int or Decimal, not {type(w).__name__}")
            if isinstance(w, Decimal) and not w.is_finite():
                raise ValueError(f"weight {w} is not finite")
            ratios.append(w.as_integer_ratio())
        denominator = lcm(*(d for _, d in ratios))
        ints = [n * (denominator // d) for n, d in ratios]
    if any(w < 0 for w in ints):
        raise ValueError("weights must not be negative")
    return ints  # type: ignore[return-value]


def allocate(total: int, weights: Sequence[int | Decimal]) -> list[int]:
    """Split ``total`` minor units in proportion to ``weights``, to the unit.

    Largest-remainder (Hamilton) rounding: each part first gets the floor of
    its exact share; the units left over go one each to the parts with the
    largest remainders, ties broken by the earlier index. Hence the parts sum
    exactly to ``total``, each is within one unit of its exact share, and the
    result depends only on the inputs (never on dict or set order).

    A zero weight always gets 0; all-zero (or no) weights raise ValueError.
    A negative ``total`` is split symmetrically: ``allocate(-t, w)`` is
    ``[-p for p in allocate(t, w)]``, so a reversal undoes an allocation
    exactly.

    Known limit: like every quota-respecting largest-remainder method it is
    not monotone in ``total`` (the "Alabama paradox"): raising the total by
    one unit can take one unit from a part. Each part still moves by at most
    its exact change plus one unit.
    """
    _require_int(total, "total")
    ints = _integer_weights(weights)
    weight_sum = sum(ints)
    if weight_sum == 0:
        raise ValueError("cannot allocate over weights that are all zero")
    if total < 0:
        return [-part for part in allocate(-total, ints)]

    products = [total * w for w in ints]
    parts = [p // weight_sum for p in products]
    leftover = total - sum(parts)
    if leftover:
        remainders = [p % weight_sum for p in products]
        # A stable sort keeps equal remainders in index order even when
        # reversed: larger remainder first, then earlier index. Zero weights
        # have a zero remainder and leftover < number of positive
        # remainders, so they never receive a unit.
        order = sorted(range(len(ints)), key=remainders.__getitem__, reverse=True)
        for i in order[:leftover]:
            parts[i] += 1
    return parts


def to_minor(
    amount: Decimal | str,
    currency: str,
    *,
    allow_rounding: bool = False,
    rounding: str = ROUND_HALF_EVEN,
) -> int:
    """Convert a major-unit amount ("1234.56") to integer minor units.

    Values finer than the minor unit ("0.005" EUR) raise SubMinorUnitError
    unless ``allow_rounding`` is set; then they are rounded with
    ``rounding``, banker's rounding (ROUND_HALF_EVEN) by default so that
    rounding many amounts has no upward bias.
    """
    exponent = minor_exponent(currency)
    if isinstance(amount, str):
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            raise MoneyError(f"not an amount: {amount!r}") from None
    elif isinstance(amount, Decimal):
        value = amount
    else:
        raise TypeError(f"amount must be Decimal or str, not {type(amount).__name__}")
    if not value.is_finite():
        raise MoneyError(f"not a finite amount: {amount!r}")
    scaled = value.scaleb(exponent)
    whole = scaled.to_integral_value(rounding=rounding)
    if whole != scaled and not allow_rounding:
        raise SubMinorUnitError(f"{amount} {currency} is finer than the minor unit")
    return int(whole)


def from_minor(minor: int, currency: str) -> Decimal:
    """Return ``minor`` units of ``currency`` as an exact Decimal ("12.34")."""
    _require_int(minor, "minor")
    return Decimal(minor).scaleb(-minor_exponent(currency))


def _group(digits: str, separator: str) -> str:
    """Insert ``separator`` between groups of three digits from the right."""
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(groups)


def format_money(minor: int, currency: str, lang: str) -> str:
    """Format ``minor`` units for humans: "1 234,56 €" (fr), "€1,234.56" (en).

    French typography puts a narrow no-break space (U+202F) between digit
    groups and a no-break space (U+00A0) before the symbol, so an amount is
    never split across lines. A negative amount starts with "-".
    """
    _require_int(minor, "minor")
    exponent = minor_exponent(currency)
    symbol = _SYMBOLS.get(currency, currency)
    language = lang.replace("_", "-").split("-", 1)[0].lower()
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**exponent)
    if language == "fr":
        number = _group(str(whole), NARROW_NO_BREAK_SPACE)
        if exponent:
            number += "," + str(fraction).zfill(exponent)
        return f"{sign}{number}{NO_BREAK_SPACE}{symbol}"
    if language == "en":
        number = _group(str(whole), ",")
        if exponent:
            number += "." + str(fraction).zfill(exponent)
        # A letter code ("CHF") needs a space; a sign ("€") sits against the digits.
        gap = NO_BREAK_SPACE if symbol.isalpha() else ""
        return f"{sign}{symbol}{gap}{number}"
    raise MoneyError(f"no money format for language {lang!r}")
