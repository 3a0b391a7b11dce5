"""
Read the PDF renderer's fixed wording from the project's one gettext catalogue.

Each table maps a key to its English text, marked for ``makemessages`` with
``gettext_noop`` or, where the same English is translated differently in the portal,
with ``pgettext_noop`` and a context (the project's makemessages knows that keyword).
Both markers are defined here: Django's ``gettext_noop`` reads the settings.
English prints the msgid itself; French comes from locale/fr/LC_MESSAGES/django.po
through Python's own ``gettext``, so the renderer still needs no Django settings (tasks,
tests, the bench). Texts keep ``str.format`` placeholders; callers escape the values
they interpolate.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator, Mapping
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Final, NamedTuple

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR: Final = Path(__file__).resolve().parents[2] / "locale"
LANGUAGES: Final = ("fr", "en")


class InContext(NamedTuple):
    """An English text whose translation depends on a gettext context (msgctxt)."""

    context: str
    message: str


def gettext_noop(message: str) -> str:
    """Mark ``message`` for makemessages; translated when a report renders."""
    return message


def pgettext_noop(context: str, message: str) -> InContext:
    """Mark ``message`` for makemessages under ``context``; translated when a report renders."""
    return InContext(context, message)


Text = str | InContext


def english(text: Text) -> str:
    """Return the English wording: the msgid."""
    return text.message if isinstance(text, InContext) else text


def translate(catalogue: gettext.NullTranslations, text: Text) -> str:
    """Return ``text`` translated by ``catalogue`` (the msgid itself when it has none)."""
    if isinstance(text, InContext):
        return catalogue.pgettext(text.context, text.message)
    return catalogue.gettext(text)


@cache
def french() -> gettext.NullTranslations:
    """Return the French catalogue: the compiled .mo, or the .po compiled in memory."""
    po = LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return gettext.translation("django", localedir=LOCALE_DIR, languages=["fr"])
    # No compiled catalogue, or one older than the .po (msgfmt missing, a pull since the
    # last `make migrate`): compile the .po in memory, as msgfmt would (no fuzzy entry).
    with po.open("rb") as source:
        catalogue = read_po(source)
    compiled = BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def catalogue_for(lang: str) -> gettext.NullTranslations:
    """Return the catalogue that translates into ``lang`` (English: none, the msgids)."""
    if lang not in LANGUAGES:
        raise KeyError(lang)
    return french() if lang == "fr" else gettext.NullTranslations()


class Wording(Mapping[str, Mapping[str, str]]):
    """One table of wording: ``table[lang][key]``, the same keys in every language."""

    def __init__(self, texts: Mapping[str, Text]) -> None:
        self.texts: Final = texts
        self._by_lang: dict[str, Mapping[str, str]] = {}

    def __getitem__(self, lang: str) -> Mapping[str, str]:
        words = self._by_lang.get(lang)
        if words is None:
            catalogue = catalogue_for(lang)
            words = {key: translate(catalogue, text) for key, text in self.texts.items()}
            self._by_lang[lang] = words
        return words

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)
