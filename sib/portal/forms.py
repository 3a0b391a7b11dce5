"""Form helpers shared by the apps' portal pages.

The rules live in the services; a form only parses. When a service refuses (a
ValidationError naming fields, or one of `sib.exceptions`), `add_service_errors` puts
each message beside its field (or above the form when no field of the form carries that
name), in the page's language.
"""

import re
import uuid
from decimal import ROUND_DOWN, Decimal
from typing import Any

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from sib.api.idempotency import IdempotencyConflict
from sib.bounds import money_error
from sib.exceptions import ApplicationError
from sib.money import MoneyError, minor_exponent, to_minor


def add_service_errors(
    form: forms.Form, error: ValidationError | ApplicationError, **aliases: str
) -> None:
    """Show a service's refusal on the form: field errors beside their fields.

    `aliases` maps a service's field name to the form's (`commitment="commitment"`).
    """
    if isinstance(error, IdempotencyConflict):
        # The form's hidden key was used for another entry: the page is stale, not wrong.
        form.add_error(
            None,
            _("This form was already used for another entry. Reload the page to record a new one."),
        )
        return
    if isinstance(error, ApplicationError):
        field = aliases.get(error.field, error.field) if error.field else None
        form.add_error(field if field in form.fields else None, str(error))
        return
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for name, messages in error.message_dict.items():
        field = aliases.get(name, name)
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


class IdempotentForm(forms.Form):
    """A form that records money carries a key made when it is shown.

    A second post of the same page (a double click, a reload of the answer) carries the
    same key, so the ledger records the movement once (sib.api.idempotency).
    """

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=255)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", new_idempotency_key())
        super().__init__(*args, **kwargs)


# Babel's strict parser checks the grouping ("1,2,3" and "12 34,5" are refused, "1,234.56"
# and "1 234 567,89" read), but it also reads exponents, underscores and any script's
# digits, and a point as the decimal mark in French ("1.500" would be 1,50 €). So an amount
# is first limited to ASCII digits and the language's own two separators, then parsed.
_SPACES = (" ", "\u00a0", "\u202f")
_EXAMPLE = Decimal("1234.5678")


def _active_locale() -> Locale:
    return Locale.parse(translation.to_locale(translation.get_language() or "en"))


def _amount_pattern(group: str, decimal: str) -> re.Pattern[str]:
    return re.compile(f"[-+]?[0-9{re.escape(group)}{re.escape(decimal)}]+", re.ASCII)


def amount_example(currency: str) -> str:
    """Return the help of an amount field: an example grouped and plain, in the page's
    language, with the currency's own decimals (none for the yen, three for the dinar)."""
    places = minor_exponent(currency)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    locale = _active_locale()
    example = Decimal(25000) + Decimal("0.5")
    return _("For example %(grouped)s or %(plain)s.") % {
        "grouped": format_decimal(25000, format="#,##0", locale=locale),
        "plain": format_decimal(
            example if places else Decimal(25000),
            format=pattern,
            locale=locale,
            group_separator=False,
        ),
    }


class MoneyField(forms.DecimalField):
    """An amount typed in the currency's major unit as people write it in the page's
    language ("1,234.56" in English, "1 234,56" in French), cleaned to minor units."""

    default_error_messages = {
        "invalid": _("%(field)s: write an amount as %(grouped)s or %(plain)s."),
        "positive": _("Enter an amount above zero."),
        "precision": _("%(field)s: enter at most %(places)s decimal places."),
    }

    def __init__(self, *, currency: str, **kwargs: Any) -> None:
        self.currency = currency
        kwargs.setdefault("min_value", None)
        kwargs.setdefault("decimal_places", minor_exponent(currency))
        # Text, not type=number: browsers refuse "1 234,56" in a number input.
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(localize=True, **kwargs)

    def _refusal(self, code: str) -> ValidationError:
        locale = _active_locale()
        places = minor_exponent(self.currency)
        example = _EXAMPLE.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
        params = {
            "field": str(self.label or _("Amount")),
            "places": places,
            "grouped": format_decimal(example, locale=locale),
            "plain": format_decimal(example, locale=locale, group_separator=False),
        }
        return ValidationError(self.error_messages[code], code=code, params=params)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if not isinstance(value, str):
            return super().to_python(value)
        typed = value.strip()
        if not typed:
            return None
        locale = _active_locale()
        group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
        if group in _SPACES or (group not in typed and any(s in typed for s in _SPACES)):
            # French groups with a narrow no-break space, and people type any of the three.
            # English readers also group with spaces ("10 000", the SI way), never mixed
            # with commas; a space is never a decimal mark, so either is unambiguous.
            for space in _SPACES:
                typed = typed.replace(space, group)
        if not _amount_pattern(group, decimal).fullmatch(typed):
            raise self._refusal("invalid")
        try:
            amount = parse_decimal(typed, locale=locale, strict=True)
        except NumberFormatError:
            raise self._refusal("invalid") from None
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > minor_exponent(self.currency):
            # Counted as typed: "10.000" is a third decimal place, not ten euros.
            raise self._refusal("precision")
        return amount

    def clean(self, value: Any) -> int | None:
        amount = super().clean(value)
        if amount is None:
            return None
        if amount <= 0:
            raise ValidationError(self.error_messages["positive"], code="positive")
        try:
            minor = to_minor(amount, self.currency)
        except MoneyError:
            raise self._refusal("precision") from None
        problem = money_error(minor, minimum=1)
        if problem:  # the API's bound (sib.bounds): no amount beyond 10^15 minor units
            raise ValidationError(problem, code="max_value")
        return minor
