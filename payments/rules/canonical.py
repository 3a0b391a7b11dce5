"""The outcome payment plan as canonical JSON: ints for money, strings for Decimals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any


def plain(item: Any) -> dict[str, Any]:
    """Return a dataclass's fields as a dict ("payer" only where a payer's cap is meant)."""
    data = {name: getattr(item, name) for name in item.__dataclass_fields__}
    # Every item without a payer reads as it did before payer caps existed.
    if "payer" in data and data["payer"] is None:
        del data["payer"]
    return data


def canonical(value: Any) -> Any:
    """Return ``value`` with sorted keys, Decimals as strings and dates in ISO form."""
    if isinstance(value, dict):
        return {str(key): canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, bool | int | str) or value is None:
        return value
    raise TypeError(f"cannot put {type(value).__name__} in the plan's JSON")
