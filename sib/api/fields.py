"""Serializer fields that carry the bounds of sib.bounds, for every API input serializer.

amount = MoneyField(min_value=1)      # 1 .. 10^15 minor units, a JSON integer
sample_size = CountField(required=False, allow_null=True)
note = TextField(required=False, allow_blank=True, default="")
"""

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from sib.bounds import MAX_COUNT, MAX_MONEY, MAX_TEXT_CHARS

_INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*")


class StrictIntegerField(serializers.IntegerField):
    """An integer written as one: 1000, or "1000" from a form; never 1000.0, "1e3" or true.

    DRF's IntegerField takes 1000.0 (it strips a ".0") and True (an int subclass); an
    amount or a count sent as a float is a client bug this answers at once.
    """

    default_error_messages = {
        "invalid": _("A whole number is required, written without a decimal point."),
    }

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool | float | Decimal):
            self.fail("invalid")
        if isinstance(data, str) and _INTEGER_TEXT.fullmatch(data) is None:
            self.fail("invalid")
        return int(super().to_internal_value(data))


class MoneyField(StrictIntegerField):
    """An amount in minor units (cents): a JSON integer from 0 (or min_value) to 10^15."""

    default_error_messages = {
        "invalid": _(
            "A whole number of minor units (cents) is required, written as an integer: "
            '1000.0 or "1e3" is refused.'
        ),
        "max_value": _("Too large: at most {max_value} minor units (cents)."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_MONEY)
        kwargs.setdefault("help_text", _("Minor units (cents), at most 10^15."))
        super().__init__(**kwargs)


class CountField(StrictIntegerField):
    """A number of participants or outcomes: 0 (or min_value) to 999,999,999."""

    default_error_messages = {
        "max_value": _("Too large: at most {max_value}."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_COUNT)
        super().__init__(**kwargs)


class TextField(serializers.CharField):
    """Free text (a note, a reason, a comment): at most 10,000 characters."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_TEXT_CHARS)
        super().__init__(**kwargs)
