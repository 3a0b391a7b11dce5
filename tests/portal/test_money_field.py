"""The portal's amount field: an amount as people type it in French or English, in the
currency's major unit, and nothing a keyboard slip or a pasted string could turn into
another number (an exponent, full-width or Arabic-Indic digits, Python's underscores)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sib.portal.forms import MoneyField


@pytest.mark.parametrize(
    ("typed", "language", "minor"),
    [
        ("1 234,56", "fr", 123_456),
        ("1\u202f234,56", "fr", 123_456),
        ("1234.56", "en", 123_456),
        ("12", "fr", 1_200),
    ],
)
def test_an_amount_as_people_type_it(typed, language, minor):
    with translation.override(language):
        assert MoneyField(currency="EUR").clean(typed) == minor


@pytest.mark.parametrize("typed", ["1e3", "1E3", "１２３", "٣", "1_000", "0x10", "NaN", "Infinity"])
def test_what_is_not_written_with_ascii_digits_is_refused(typed):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        MoneyField(currency="EUR").clean(typed)
    assert refused.value.code == "invalid"
