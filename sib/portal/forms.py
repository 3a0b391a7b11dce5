"""Form helpers shared by the apps' portal pages.

The rules live in the services; a form only parses. When a service refuses (a
ValidationError naming fields, or one of `sib.exceptions`), `add_service_errors` puts
each message beside its field (or above the form when no field of the form carries that
name), in the page's language.
"""

import re
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
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


_AMOUNT = re.compile(r"[-+]?[0-9.,]+", re.ASCII)


class MoneyField(forms.DecimalField):
    """An amount typed in the currency's major unit ("1 234,56"), cleaned to minor units."""

    default_error_messages = {
        "positive": _("Enter an amount above zero."),
        "precision": _("Enter at most %(places)s decimal places."),
    }

    def __init__(self, *, currency: str, **kwargs: Any) -> None:
        self.currency = currency
        kwargs.setdefault("min_value", None)
        kwargs.setdefault("decimal_places", minor_exponent(currency))
        # Text, not type=number: browsers refuse "1 234,56" in a number input.
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(localize=True, **kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if isinstance(value, str):
            # "1 234,56" as French people type it, with any space as the thousands separator.
            value = "".join(value.split()).replace("\u202f", "").replace("\u00a0", "")
            # Python's Decimal also reads "1e3", "1_000" and any script's digits: an amount
            # is written with ASCII digits and separators only.
            if value and not _AMOUNT.fullmatch(value):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def clean(self, value: Any) -> int | None:
        amount = super().clean(value)
        if amount is None:
            return None
        if amount <= 0:
            raise ValidationError(self.error_messages["positive"], code="positive")
        try:
            minor = to_minor(amount, self.currency)
        except MoneyError:
            raise ValidationError(
                self.error_messages["precision"],
                code="precision",
                params={"places": minor_exponent(self.currency)},
            ) from None
        problem = money_error(minor, minimum=1)
        if problem:  # the API's bound (sib.bounds): no amount beyond 10^15 minor units
            raise ValidationError(problem, code="max_value")
        return minor
