"""Every ISO 4217 currency in use, with its minor unit from Babel's CLDR data (issue 15).

Reproduction: only EUR, USD, GBP, CHF and JPY were accepted; real deals in DKK, AUD,
KRW, CLP, ILS, ZAR... were refused outright.
"""

import pytest
from django.utils import translation

from reports.rendering.formatting import format_money as pdf_money
from sib.demo import demo_definition
from sib.models import User
from sib.money import (
    CURRENCIES_IN_USE,
    CURRENCY_EXPONENTS,
    NARROW_NO_BREAK_SPACE,
    NO_BREAK_SPACE,
    UnknownCurrencyError,
    format_money,
    from_minor,
    minor_exponent,
    to_minor,
)
from sib.programme_format import (
    DefinitionError,
    programme_definition_dump,
    programme_definition_load,
)
from sib.templatetags.portal_format import money

NN, NB = NARROW_NO_BREAK_SPACE, NO_BREAK_SPACE


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("DKK", 2),
        ("AUD", 2),
        ("CAD", 2),
        ("KRW", 0),
        ("CLP", 0),
        ("ILS", 2),
        ("ZAR", 2),
        # CLDR's digits are those used in practice: ISO 4217 lists centavos, no one pays them.
        ("COP", 0),
        ("BHD", 3),
        ("ISK", 0),
        ("EUR", 2),
        ("JPY", 0),
    ],
)
def test_every_currency_in_use_has_its_iso_minor_unit(code, exponent):
    assert code in CURRENCIES_IN_USE
    assert minor_exponent(code) == exponent


def test_the_list_is_the_iso_list_not_a_hand_picked_table():
    assert len(CURRENCIES_IN_USE) > 140
    # Codes with no minor unit (gold, the test code, "no currency") are no money here.
    for code in ("XAU", "XTS", "XXX"):
        assert code not in CURRENCY_EXPONENTS
    # A withdrawn currency still reads (an old programme's amounts) but starts nothing.
    assert minor_exponent("FRF") == 2
    assert "FRF" not in CURRENCIES_IN_USE
    with pytest.raises(UnknownCurrencyError):
        minor_exponent("XXY")


# Every currency in use whose minor unit is not 2 (CLDR 47, Babel 2.19). A stored amount
# is an integer of minor units: a Babel upgrade that changed one of these would multiply
# or divide every amount already kept in that currency. This test stops such an upgrade
# until someone has decided what becomes of those programmes.
NOT_TWO = {
    **dict.fromkeys(("BHD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(
        [
            "AFN",
            "ALL",
            "BIF",
            "CLP",
            "COP",
            "DJF",
            "GNF",
            "HUF",
            "IDR",
            "IQD",
            "IRR",
            "ISK",
            "JPY",
            "KMF",
            "KPW",
            "KRW",
            "LAK",
            "LBP",
            "MGA",
            "MMK",
            "PYG",
            "RWF",
            "SOS",
            "SYP",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
            "YER",
        ],
        0,
    ),
}


def test_no_minor_unit_changes_under_a_stored_amount():
    found = {code: minor_exponent(code) for code in CURRENCIES_IN_USE}
    assert {code: e for code, e in found.items() if e != 2} == NOT_TWO


def test_amounts_are_parsed_and_shown_with_the_currency_minor_unit():
    assert to_minor("1234", "KRW") == 1234
    assert to_minor("12.345", "BHD") == 12345
    assert from_minor(150, "CLP") == 150
    assert format_money(123456789, "KRW", "fr") == f"123{NN}456{NN}789{NB}KRW"
    assert format_money(123456789, "KRW", "en") == f"KRW{NB}123,456,789"
    assert format_money(123456789, "DKK", "fr") == f"1{NN}234{NN}567,89{NB}DKK"
    assert format_money(-5, "ZAR", "en") == f"-ZAR{NB}0.05"
    assert format_money(12345, "BHD", "en") == f"BHD{NB}12.345"
    # The one formatter serves the PDF and the portal too.
    assert pdf_money(150, "CLP", "fr") == f"150{NB}CLP"
    with translation.override("en"):
        assert money(150000, "AUD") == f"AUD{NB}1,500.00"


@pytest.fixture
def creator(db):
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create_superuser("root", password="pw-123456789")


@pytest.mark.parametrize("code", ["DKK", "AUD", "KRW", "CLP", "ILS", "ZAR"])
def test_a_programme_in_a_real_deal_currency_loads_and_dumps(creator, code):
    document = demo_definition()
    document["programme"]["currency"] = code
    programme = programme_definition_load(document, creator=creator)
    assert programme.currency == code
    assert programme_definition_dump(programme)["programme"]["currency"] == code


@pytest.mark.parametrize("code", ["XXY", "FRF", "eur", "XAU"])
def test_a_code_that_is_no_currency_in_use_is_refused_naming_the_field(creator, code):
    document = demo_definition()
    document["programme"]["currency"] = code
    with translation.override("en"), pytest.raises(DefinitionError) as error:
        programme_definition_load(document, creator=creator)
    errors = dict(error.value.errors)
    assert "is not a currency in use" in errors["programme.currency"]
    assert repr(code) in errors["programme.currency"]
