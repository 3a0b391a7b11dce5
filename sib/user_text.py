"""Free text typed by users that the chain keeps and the PDFs print: one rule for all of it.

A comment, a reason or a note is hashed into the programme's chain verbatim and printed in
the manager edition's log; a payer reads it on paper, or in the verification bundle, and
trusts that what they read is what was stored. Unicode's bidirectional controls break
that: U+202E (RIGHT-TO-LEFT OVERRIDE) makes "Paid 0001 €" display as "Paid € 1000" while
the stored text, and its hash, say otherwise (the "Trojan Source" trick, CVE-2021-42574).
So every service that takes such text passes it through `user_text` first:

- refused, naming the field and the character: the bidi embeddings, overrides and
  isolates (U+202A–U+202E, U+2066–U+2069), the marks U+200E, U+200F and U+061C, and
  every other control character (Unicode category Cc) but newline and tab;
- line ends normalised to newline (a browser's textarea sends CR LF);
- normalised to NFC, so the same words typed on two keyboards hash the same.

The rule is the services', so the API and the portal both get it (a `ValidationError`
keyed by the field, shown beside it).
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

BIDI_CONTROLS = frozenset(
    [
        *map(chr, range(0x202A, 0x202F)),  # embeddings and overrides, LRE..RLO
        *map(chr, range(0x2066, 0x206A)),  # isolates, LRI..PDI
        "\u200e",  # LEFT-TO-RIGHT MARK
        "\u200f",  # RIGHT-TO-LEFT MARK
        "\u061c",  # ARABIC LETTER MARK
    ]
)
ALLOWED_CONTROLS = frozenset("\n\t")
# The same set as a PostgreSQL regular expression, for text checked set-based in SQL (the
# results CSV import): Cc but tab, newline and carriage return (normalised), and BIDI_CONTROLS.
POSTGRES_REFUSED = (
    r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]"
)


def refused_character(text: str) -> str | None:
    """Return the first character of `text` the rule refuses, or None."""
    for char in text:
        if char in BIDI_CONTROLS:
            return char
        if unicodedata.category(char) == "Cc" and char not in ALLOWED_CONTROLS:
            return char
    return None


def user_text(text: str, *, field: str) -> str:
    """Return `text` with its line ends as newlines, in NFC; refuse a control character.

    `field` names the input (the API's key, the form's field) the refusal is shown at.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    char = refused_character(text)
    if char is None:
        return text
    raise ValidationError(
        {
            field: _(
                "%(field)s contains the invisible control character %(code)s (%(name)s), "
                "which can make the printed text read differently from what is stored: "
                "remove it."
            )
            % {
                "field": field,
                "code": f"U+{ord(char):04X}",
                "name": unicodedata.name(char, "control character"),
            }
        }
    )
