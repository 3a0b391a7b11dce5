"""Read a rule definition's JSON: each reader names the JSON path of what it rejects.

`RuleError(path, message)` is what every rule definition raises
(`metrics[2].mechanism.tiers[1].min_improvement: must be a decimal string`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

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
        raise RuleError(path, "must be an object")
    return value


def sequence(value: Any, path: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise RuleError(path, "must be a list")
    return value


def only_keys(data: Mapping[str, Any], allowed: set[str], path: str) -> None:
    # Unknown keys are most often typos of an optional cap; rejecting them
    # stops a misspelt "contract_cap" from silently meaning "no cap".
    for key in sorted(set(data) - allowed):
        raise RuleError(child(path, key), "unknown key")


def required(data: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in data:
        raise RuleError(child(path, key), "is required")
    return data[key]


def money(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(path, "must be an integer amount of minor units (cents)")
    if value < 0:
        raise RuleError(path, "must not be negative")
    if value > MAX_MONEY:
        raise RuleError(path, f"must be at most {MAX_MONEY:,} minor units (cents)")
    return value


def count(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(path, "must be an integer")
    if value < 0:
        raise RuleError(path, "must not be negative")
    if value > MAX_COUNT:
        raise RuleError(path, f"must be at most {MAX_COUNT:,}")
    return value


def decimal(value: Any, path: str) -> Decimal:
    if isinstance(value, float):
        raise RuleError(path, 'must be a decimal string such as "0.10", not a float')
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise RuleError(path, "must be a decimal string")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise RuleError(path, f"is not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise RuleError(path, "must be finite")
    # Rules write their decimals back normalised ("7E+1" for 70), so an exponent is taken;
    # a size no rate or share has is not ("1e30").
    if number.adjusted() >= MAX_DECIMAL_INTEGER_DIGITS:
        raise RuleError(
            path, f"is too large: at most {MAX_DECIMAL_INTEGER_DIGITS} digits before the point"
        )
    if number.as_tuple().exponent < -RATE_DECIMAL_PLACES:  # type: ignore[operator]
        raise RuleError(path, f"has more than {RATE_DECIMAL_PLACES} decimal places")
    return number


def optional[V](read: Callable[[Any, str], V], value: Any, path: str) -> V | None:
    return None if value is None else read(value, path)


def text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleError(path, "must be a non-empty string")
    return value


def enum[E: StrEnum](kind: type[E], value: Any, path: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise RuleError(path, f"must be one of {allowed}") from None


def dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
