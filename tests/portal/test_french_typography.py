"""French typography in the catalogue (issue 14): a no-break space (U+00A0), never a
plain one, before « : », « ; », « ? », « ! » and « % » in every French translation, so
that a sign never starts a line on its own. Only the translations (msgstr) are French."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"

# A plain space before a sign; "%(" "%s" "%d" "%i" "%f" are placeholders, not a percent
# sign ("%%" is one, in a python-format text).
PLAIN_SPACE_BEFORE_SIGN = re.compile(r" (?:[:;?!]|%(?![(sdif]))")


def _translations() -> list[tuple[str, str]]:
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    found = []
    for message in catalogue:
        if not message.id:
            continue  # the header
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found.extend((ids[0], text) for text in strings if text)
    return found


def test_no_french_translation_has_a_plain_space_before_a_high_sign():
    offending = [
        (msgid, text) for msgid, text in _translations() if PLAIN_SPACE_BEFORE_SIGN.search(text)
    ]
    assert offending == [], f"{len(offending)} translations, first: {offending[:3]}"


def test_the_check_finds_a_plain_space_and_spares_placeholders():
    assert PLAIN_SPACE_BEFORE_SIGN.search("Montant : 3")
    assert PLAIN_SPACE_BEFORE_SIGN.search("12,5 %")
    assert PLAIN_SPACE_BEFORE_SIGN.search("12,5 %% des paiements")
    assert not PLAIN_SPACE_BEFORE_SIGN.search("Montant\u00a0: 3, 12,5\u00a0%")
    assert not PLAIN_SPACE_BEFORE_SIGN.search("la part de %(payer)s, %s, %d")
