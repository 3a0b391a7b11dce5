"""Pseudonyms: the only trace of a participant the ledger keeps.

pseudonym = HMAC-SHA256(programme key, participant id under the programme's rule), in hex,
where programme key = HMAC-SHA256(server secret, "sib-pseudonym|<programme id>").

The server secret is PSEUDONYM_KEY (falling back to SECRET_KEY in development). Deriving
the key per programme means the same person in two programmes gets two unrelated
pseudonyms, and no programme key is ever stored. Changing PSEUDONYM_KEY changes every
pseudonym: later files would no longer match earlier ones, so rotate it only with a plan.

What is hashed depends on the programme's `pseudonym_rule` (docs/results-csv.md):
- rule 1 (RAW, programmes created before the rule existed): the id as the file gives it
  (the CSV reader strips the white space around a value);
- rule 2 (NORMALISED, every new programme): the id normalised by `normalise`, so that
  "PRV-77", "prv-77", "ＰＲＶ-77", "PRV‑77" (non-breaking hyphen) and "PRV-77" with a
  zero-width space or a right-to-left override are one participant, not six paid outcomes.
A programme keeps its rule for life once it holds participant records: the ledger keeps
no raw id, so its pseudonyms cannot be recomputed under another rule (a database trigger
refuses the change, outcomes migration 0006). Both rules refuse an id with a control
character that is not white space or a character Unicode does not define; rule 1 also one
with an invisible character, rule 2 one with nothing visible left.
"""

import hashlib
import hmac
import unicodedata
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from sib.models import PseudonymRule

CURRENT_RULE = PseudonymRule.NORMALISED

# Default-ignorable code points (Unicode DerivedCoreProperties) that are not of category
# Cf: variation selectors, the combining grapheme joiner, Hangul fillers. Invisible in
# every font, like the Cf characters (zero-width space, bidi overrides, soft hyphen…).
_IGNORABLE = frozenset(
    chr(c)
    for first, last in (
        (0x034F, 0x034F),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFFA0, 0xFFA0),
        (0xE0100, 0xE01EF),
    )
    for c in range(first, last + 1)
)
_MINUS_SIGN = "\u2212"


class ParticipantIdRefused(ValueError):
    """A participant id that no rule may hash; `rule` is the import report's rule code."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def _refuse_character(character: str, category: str) -> None:
    point = f"U+{ord(character):04X}"
    # Tab, line feed and the like are white space (a spreadsheet cell may wrap an id):
    # collapsed by rule 2, hashed as they are by rule 1. Other controls are never typed.
    if category == "Cc" and not character.isspace():
        raise ParticipantIdRefused(
            "control_character",
            _("participant_id contains a control character (%(point)s): remove it.")
            % {"point": point},
        )
    if category == "Cn":
        raise ParticipantIdRefused(
            "unassigned_character",
            _("participant_id contains a character Unicode does not define (%(point)s).")
            % {"point": point},
        )


def normalise(participant_id: str) -> str:
    """Return the id as rule 2 hashes it, or raise ParticipantIdRefused.

    In order: refuse control characters (Cc) other than white space and unassigned ones
    (Cn, so that a later Unicode version cannot change an accepted id); drop invisible ones
    (category Cf and the other default-ignorables) before NFKC, so that one between a
    letter and its accent does not block their composition; NFKC; case-fold; NFKC again
    (case folding can undo it); every dash (category Pd) and the minus sign become "-";
    runs of white space become one space; strip.
    """
    if participant_id.isascii() and participant_id.isprintable():
        # Nearly every id: no control character, nothing invisible, nothing for NFKC.
        text = participant_id.lower()
        if " " in text:
            text = " ".join(text.split())
    else:
        category = unicodedata.category
        kept = []
        for character in participant_id:
            kind = category(character)
            if kind == "Cc" or kind == "Cn":
                _refuse_character(character, kind)
            if kind != "Cf" and character not in _IGNORABLE:
                kept.append(character)
        text = unicodedata.normalize("NFKC", "".join(kept)).casefold()
        text = unicodedata.normalize("NFKC", text)
        text = "".join(
            "-" if c == _MINUS_SIGN or (not c.isascii() and category(c) == "Pd") else c
            for c in text
        )
        text = " ".join(text.split())
    if not text:
        raise ParticipantIdRefused(
            "empty_after_normalising",
            _("participant_id holds only invisible characters or white space."),
        )
    return text


def check_raw(participant_id: str) -> str:
    """Return the id as rule 1 hashes it (unchanged), or raise ParticipantIdRefused.

    Rule 1 cannot normalise without changing its programme's pseudonyms; it refuses what
    would silently make a second participant: a control, unassigned or invisible character.
    """
    if participant_id.isascii() and participant_id.isprintable():
        if not participant_id.strip():
            raise ParticipantIdRefused("required", _("participant_id is empty"))
        return participant_id
    category = unicodedata.category
    for character in participant_id:
        kind = category(character)
        _refuse_character(character, kind)
        if kind == "Cf" or character in _IGNORABLE:
            raise ParticipantIdRefused(
                "invisible_character",
                _("participant_id contains an invisible character (%(point)s): remove it.")
                % {"point": f"U+{ord(character):04X}"},
            )
    if not participant_id.strip():
        raise ParticipantIdRefused("required", _("participant_id is empty"))
    return participant_id


def cleaner(rule: int) -> Callable[[str], str]:
    """Return the function that turns a raw id into what `rule` hashes."""
    if rule == PseudonymRule.RAW:
        return check_raw
    if rule == PseudonymRule.NORMALISED:
        return normalise
    raise ValueError(f"Unknown pseudonym rule {rule!r}.")


def _server_secret() -> bytes:
    secret = settings.PSEUDONYM_KEY  # read from the environment by settings (sib.env)
    if not secret:
        if getattr(settings, "PRODUCTION", False):
            raise ImproperlyConfigured("PSEUDONYM_KEY must be set when SIB_ENV=production.")
        secret = settings.SECRET_KEY
    return str(secret).encode()


def programme_key(*, programme_id: int) -> bytes:
    """Return the programme's pseudonym key, derived from the server secret."""
    return hmac.digest(_server_secret(), f"sib-pseudonym|{programme_id}".encode(), "sha256")


class Pseudonymiser:
    """Hash many participant ids with one programme key, fast (1M ids in a bulk import).

    HMAC is H((K ^ opad) ‖ H((K ^ ipad) ‖ m)): the two keyed states are hashed once and
    copied per id, which halves the cost of calling hmac.new for each id. `clean` applies
    the programme's rule to one id (the importer calls it per row, to name the line of a
    refused id); `hash_many` hashes ids already cleaned; `many` and a call do both.
    """

    def __init__(self, *, programme_id: int, rule: int = CURRENT_RULE) -> None:
        self.clean = cleaner(rule)
        key = programme_key(programme_id=programme_id).ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def __call__(self, participant_id: str) -> str:
        return self.many([participant_id])[0]

    def many(self, participant_ids: Iterable[str]) -> list[str]:
        """Return the pseudonyms of many ids, in order (ParticipantIdRefused on a bad one)."""
        return self.hash_many(map(self.clean, participant_ids))

    def hash_many(self, cleaned_ids: Iterable[str]) -> list[str]:
        """Return the pseudonyms of ids already through `clean`: one loop, no call per id."""
        inner_copy, outer_copy = self._inner.copy, self._outer.copy
        pseudonyms: list[str] = []
        add = pseudonyms.append
        for participant_id in cleaned_ids:
            inner = inner_copy()
            inner.update(participant_id.encode())
            outer = outer_copy()
            outer.update(inner.digest())
            add(outer.hexdigest())
        return pseudonyms


def pseudonym(*, programme_id: int, participant_id: str, rule: int = CURRENT_RULE) -> str:
    """Return the pseudonym of one provider participant id in a programme."""
    cleaned = cleaner(rule)(participant_id)
    return hmac.new(
        programme_key(programme_id=programme_id), cleaned.encode(), hashlib.sha256
    ).hexdigest()
