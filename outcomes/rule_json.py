"""Read a rule definition's JSON: each reader names the JSON path of what it rejects.

`RuleError(path, message)` is what every rule definition raises
(`metrics[2].mechanism.tiers[1].min_improvement: must be a decimal string`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _

from sib.bounds import MAX_COUNT, MAX_DECIMAL_INTEGER_DIGITS, MAX_MONEY, RATE_DECIMAL_PLACES


class RuleError(ValueError):
    """A rule definition or an input that breaks a payment rule."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


def child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RuleError(path, _("must be an object"))
    return value


def sequence(value: Any, path: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise RuleError(path, _("must be a list"))
    return value


def only_keys(data: Mapping[str, Any], allowed: set[str], path: str) -> None:
    # Unknown keys are most often typos of an optional cap; rejecting them
    # stops a misspelt "contract_cap" from silently meaning "no cap".
    for key in sorted(set(data) - allowed):
        raise RuleError(child(path, key), _("unknown key"))


def required(data: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in data:
        raise RuleError(child(path, key), _("is required"))
    return data[key]


def money(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(path, _("must be an integer amount of minor units (cents)"))
    if value < 0:
        raise RuleError(path, _("must not be negative"))
    if value > MAX_MONEY:
        message = _("must be at most %(maximum)s minor units (cents)") % {
            "maximum": f"{MAX_MONEY:,}"
        }
        raise RuleError(path, message)
    return value


def count(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(path, _("must be an integer"))
    if value < 0:
        raise RuleError(path, _("must not be negative"))
    if value > MAX_COUNT:
        raise RuleError(path, _("must be at most %(maximum)s") % {"maximum": f"{MAX_COUNT:,}"})
    return value


def decimal(value: Any, path: str) -> Decimal:
    if isinstance(value, float):
        raise RuleError(path, _('must be a decimal string such as "0.10", not a float'))
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise RuleError(path, _("must be a decimal string"))
    try:
        number = Decimal(value)
    except InvalidOperation:
        message = _("is not a decimal number: %(value)r") % {"value": value}
        raise RuleError(path, message) from None
    if not number.is_finite():
        raise RuleError(path, _("must be finite"))
    # Rules write their decimals back normalised ("7E+1" for 70), so an exponent is taken;
    # a size no rate or share has is not ("1e30").
    if number.adjusted() >= MAX_DECIMAL_INTEGER_DIGITS:
        raise RuleError(
            path,
            _("is too large: at most %(digits)s digits before the point")
            % {"digits": MAX_DECIMAL_INTEGER_DIGITS},
        )
    if number.as_tuple().exponent < -RATE_DECIMAL_PLACES:  # type: ignore[operator]
        message = _("has more than %(places)s decimal places") % {"places": RATE_DECIMAL_PLACES}
        raise RuleError(path, message)
    return number


def optional[V](read: Callable[[Any, str], V], value: Any, path: str) -> V | None:
    return None if value is None else read(value, path)


def text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleError(path, _("must be a non-empty string"))
    return value


def enum[E: StrEnum](kind: type[E], value: Any, path: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise RuleError(path, _("must be one of %(choices)s") % {"choices": allowed}) from None


def dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
