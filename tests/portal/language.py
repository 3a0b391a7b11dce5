"""Which language a page speaks: the catalogue's phrases found in a page's visible text.

An English page must hold none of the French catalogue's translations, a French page none
of its English source texts. Only phrases of two words or more count, and only those that
are not also part of a text of the other language (French has "Total", "Date", "Code"...).
A page's visible text leaves out scripts, styles and `<code>`, which is where the portal
puts codes (docs/portal.md, "Languages").
"""

import html
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import html as lxml_html

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"

# %(name)s, %s, %d, %%, {name}: what a text's rendering replaces, so a phrase stops there.
PLACEHOLDER = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdifr]|%%|\{[^}]*\}")
TAG = re.compile(r"<[^>]+>")
WORD = re.compile(r"\w+(?:[’'-]\w+)*")
LONG_WORD = re.compile(r"(?<![\w-])[^\W\d_]{4,}(?![\w-])")
BRACKETED = re.compile(r"(?<=\w) \([\w-]+\)")
ISO_DATE = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")
HIDDEN = ("script", "style", "code", "template", "noscript")
# Attributes a person reads or hears (a screen reader says aria-label and alt).
SPOKEN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")


@dataclass(frozen=True)
class Entry:
    msgid: str
    msgstr: str


ESCAPE = re.compile(r"\\(.)")


def _unquote(line: str) -> str:
    text = line[line.index('"') + 1 : line.rindex('"')]
    return ESCAPE.sub(lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def catalogue_entries(path: Path = CATALOGUE) -> list[Entry]:
    """Return every (source text, translation) pair of a .po file, plural forms included.

    An untranslated text has an empty translation: a French page shows it in English.
    """
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    current = ""

    def flush() -> None:
        sources = [fields.get("msgid", ""), fields.get("msgid_plural", "")]
        translations = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")] or [""]
        for index, source in enumerate(sources):
            if source:
                entries.append(Entry(source, translations[min(index, len(translations) - 1)]))
        fields.clear()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # comments, and obsolete entries ("#~"), which translate nothing
        if line.startswith('"'):
            fields[current] += _unquote(line)
            continue
        keyword = line.split(None, 1)[0]
        if keyword in ("msgid", "msgctxt") and any(k.startswith("msgstr") for k in fields):
            flush()
        current = keyword
        fields[current] = _unquote(line)
    flush()
    return entries


def _normalise(text: str) -> str:
    return " ".join(html.unescape(text).replace("\u2019", "'").split())


def _phrases(text: str) -> list[str]:
    """Return the literal runs of a text of two words or more (markup and fields removed)."""
    runs = PLACEHOLDER.split(TAG.sub(" ", text))
    phrases = []
    for run in runs:
        run = _normalise(run).strip(" .,:;()—–-")
        if len(WORD.findall(run)) >= 2:
            phrases.append(run)
    return phrases


def _contains(haystack: str, phrase: str) -> bool:
    start = haystack.find(phrase)
    while start != -1:
        end = start + len(phrase)
        before = haystack[start - 1] if start else " "
        after = haystack[end] if end < len(haystack) else " "
        if not (before.isalnum() or after.isalnum()):
            return True
        start = haystack.find(phrase, start + 1)
    return False


@dataclass(frozen=True)
class Phrasebook:
    """The phrases that betray each language: English ones for French pages and back."""

    english: tuple[str, ...]  # source texts a French page must not show
    french: tuple[str, ...]  # translations an English page must not show
    # Words of four letters or more found in source texts and in no translation ("drawdown",
    # "received"): an English text written outside the catalogue still uses them.
    english_words: frozenset[str] = frozenset()

    def foreign(self, language: str) -> tuple[str, ...]:
        return self.english if language == "fr" else self.french


def phrasebook(entries: list[Entry]) -> Phrasebook:
    """Build the phrases of each language, leaving out those the other language uses too."""
    translated = [e for e in entries if _normalise(e.msgid) != _normalise(e.msgstr)]
    sources = " \n ".join(_normalise(TAG.sub(" ", e.msgid)) for e in entries)
    translations = " \n ".join(_normalise(TAG.sub(" ", e.msgstr)) for e in entries)
    english = {p for e in translated for p in _phrases(e.msgid) if not _contains(translations, p)}
    french = {p for e in translated for p in _phrases(e.msgstr) if not _contains(sources, p)}
    french_words = {w.lower() for e in entries for w in LONG_WORD.findall(e.msgstr)}
    english_words = {
        w.lower() for e in translated for w in LONG_WORD.findall(PLACEHOLDER.sub(" ", e.msgid))
    }
    return Phrasebook(
        english=tuple(sorted(english)),
        french=tuple(sorted(french)),
        english_words=frozenset(english_words - french_words),
    )


@cache
def project_phrasebook() -> Phrasebook:
    return phrasebook(catalogue_entries())


@dataclass(frozen=True)
class PageText:
    text: str  # the visible text, whitespace collapsed, typographic apostrophes plain


def visible_text(page: str) -> PageText:
    """Return what a reader sees or hears of an HTML page, without scripts, styles and codes."""
    root = lxml_html.document_fromstring(page)
    for element in list(root.iter(*HIDDEN)):
        element.drop_tree()
    pieces: list[str] = [title.text_content() for title in root.iter("title")]
    body = root.find("body")
    body = root if body is None else body
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue  # comments, processing instructions
        pieces += [element.get(name) or "" for name in SPOKEN_ATTRIBUTES]
        if element.tag == "input" and element.get("type") in ("submit", "button"):
            pieces.append(element.get("value") or "")
    pieces.extend(body.itertext())
    return PageText(_normalise(" ".join(pieces)))


@dataclass(frozen=True)
class Finding:
    url: str
    role: str
    language: str
    phrase: str
    kind: str  # "English on a French page", "French on an English page", "ISO date"

    def __str__(self) -> str:
        return f"{self.kind}: {self.phrase!r} on {self.url} ({self.role}, {self.language})"


def bare_codes(text: str, codes: frozenset[str]) -> list[str]:
    """Return the codes found in a text as whole words (a code belongs in `<code>`).

    A code in brackets right after a name, as a list's option shows it ("In work (in-work)":
    an option holds no markup), is beside its name: it is not counted.
    """
    text = BRACKETED.sub(" ", text)
    return sorted(
        code for code in codes if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)
    )


def page_findings(
    page: str,
    *,
    url: str,
    role: str,
    language: str,
    allowed: frozenset[str] = frozenset(),
    codes: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Return every phrase of the other language on a page, ISO dates on French pages, and
    codes shown outside `<code>` (in place of a name, not beside it)."""
    text = visible_text(page).text
    findings_of_codes = [
        Finding(url, role, language, code, "code outside <code>")
        for code in bare_codes(text, codes)
        if code not in allowed
    ]
    kind = "English on a French page" if language == "fr" else "French on an English page"
    findings = findings_of_codes + [
        Finding(url, role, language, phrase, kind)
        for phrase in project_phrasebook().foreign(language)
        if phrase not in allowed and _contains(text, phrase)
    ]
    if language == "fr":
        words = {w.lower() for w in LONG_WORD.findall(text)}
        findings += [
            Finding(url, role, language, word, "English word on a French page")
            for word in sorted(words & project_phrasebook().english_words)
            if word not in allowed
        ]
        findings += [
            Finding(url, role, language, date, "ISO date")
            for date in sorted(set(ISO_DATE.findall(text)))
            if date not in allowed
        ]
    return findings
