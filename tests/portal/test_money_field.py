"""The portal's amount field: an amount as people write it in the page's language, in the
currency's major unit, and nothing a keyboard slip or a pasted string could turn into
another number (an exponent, full-width or Arabic-Indic digits, Python's underscores, a
separator the language does not use).

English writes 1,234.56 (comma between thousands, point before the cents; some group with
spaces, 1 234.56); French writes 1 234,56 (a space, non-breaking or narrow no-break
between thousands, comma before the cents). Either may leave the thousands unseparated.
"""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from sib.portal.forms import MoneyField, amount_example


def clean(typed: str, language: str, currency: str = "EUR") -> int | None:
    with translation.override(language):
        return MoneyField(currency=currency, label="Amount (EUR)").clean(typed)


def refusal(typed: str, language: str, currency: str = "EUR") -> tuple[str, list[str]]:
    """Return the refusal's code and its messages, read in ``language``."""
    with translation.override(language):
        with pytest.raises(ValidationError) as refused:
            MoneyField(currency=currency, label="Amount (EUR)").clean(typed)
        return str(refused.value.code), refused.value.messages


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("1,234.56", 123_456),
        ("1234.56", 123_456),
        ("1,234,567.89", 123_456_789),
        ("1,234", 123_400),
        ("12", 1_200),
        (" 25,000 ", 2_500_000),
        ("10 000", 1_000_000),  # grouped with spaces, the SI way
        ("1\u00a0234.56", 123_456),
    ],
)
def test_an_english_amount_as_people_write_it(typed, minor):
    assert clean(typed, "en") == minor


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("1 234,56", 123_456),
        ("1\u00a0234,56", 123_456),
        ("1\u202f234,56", 123_456),
        ("1234,56", 123_456),
        ("1 234 567,89", 123_456_789),
        ("25 000", 2_500_000),
        ("12", 1_200),
    ],
)
def test_a_french_amount_as_people_write_it(typed, minor):
    assert clean(typed, "fr") == minor


@pytest.mark.parametrize(
    "typed",
    [
        "1,2,3",  # commas that group nothing
        "1.234,56",  # the German way
        "1234,56",  # a comma is never the decimal mark in English
        "12,34.5",  # a group of two
        "1 234,567.89",  # spaces and commas mixed
        "12 34.5",
        "1.2.3",
        "1,234.",
    ],
)
def test_an_ambiguous_or_malformed_english_amount_is_refused(typed):
    assert refusal(typed, "en")[0] == "invalid"


@pytest.mark.parametrize(
    "typed",
    [
        "1.500",  # 1 500 € for some, 1,50 € for others: French writes neither
        "1234.56",
        "1,234.56",
        "1.234,56",
        "1,2,3",
        "12 34,5",  # a group of two
        "1 2 3",
        "1 234,5 6",
    ],
)
def test_an_ambiguous_or_malformed_french_amount_is_refused(typed):
    assert refusal(typed, "fr")[0] == "invalid"


@pytest.mark.parametrize("typed", ["1e3", "1E3", "１２３", "٣", "1_000", "0x10", "NaN", "Infinity"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_what_is_not_written_with_ascii_digits_is_refused(typed, language):
    assert refusal(typed, language)[0] == "invalid"


@pytest.mark.parametrize(
    ("typed", "language", "currency"),
    [
        ("1,234.567", "en", "EUR"),
        ("1 234,567", "fr", "EUR"),
        ("12.505", "en", "EUR"),
        ("1,234.5", "en", "JPY"),
        ("1 234,5", "fr", "JPY"),
        ("10.000", "en", "EUR"),  # a trailing zero is still a third decimal typed
    ],
)
def test_more_decimals_than_the_currency_counts_are_refused(typed, language, currency):
    assert refusal(typed, language, currency)[0] == "precision"


def test_three_decimals_are_an_amount_in_a_currency_of_thousandths():
    assert clean("1,234.567", "en", "BHD") == 1_234_567


@pytest.mark.parametrize(
    ("language", "typed", "message"),
    [
        ("en", "1,2,3", "Amount (EUR): write an amount as 1,234.56 or 1234.56."),
        (
            "fr",
            "1.234,56",
            "Amount (EUR)\u00a0: écrivez un montant comme 1\u202f234,56 ou 1234,56.",
        ),
        ("en", "1,234.567", "Amount (EUR): enter at most 2 decimal places."),
        ("fr", "1 234,567", "Amount (EUR)\u00a0: saisissez au plus 2 décimales."),
    ],
)
def test_a_refusal_names_the_field_in_the_pages_language(language, typed, message):
    assert refusal(typed, language)[1] == [message]


def test_a_refusal_shows_beside_the_field_of_a_form_in_its_label():
    class Form(forms.Form):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["amount"] = MoneyField(currency="EUR", label="Montant (EUR)")

    with translation.override("fr"):
        form = Form(data={"amount": "1,234.56"})
        assert not form.is_valid()
        assert form.errors["amount"] == [
            "Montant (EUR)\u00a0: écrivez un montant comme 1\u202f234,56 ou 1234,56."
        ]


@pytest.mark.parametrize(
    ("currency", "language", "example"),
    [
        ("EUR", "en", "For example 25,000 or 25000.50."),
        ("EUR", "fr", "Par exemple 25\u202f000 ou 25000,50."),
        # The yen has no minor unit (Babel's precision 0): no decimals in the example.
        ("JPY", "en", "For example 25,000 or 25000."),
        ("JPY", "fr", "Par exemple 25\u202f000 ou 25000."),
        ("KWD", "en", "For example 25,000 or 25000.500."),
    ],
)
def test_the_amount_example_has_as_many_decimals_as_the_currency(currency, language, example):
    with translation.override(language):
        assert amount_example(currency) == example
