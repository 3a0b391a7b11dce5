"""The PDF wording lives in the one gettext catalogue (issue 13).

Every key of the renderer's tables has an English msgid that makemessages finds and a
French translation in locale/fr/LC_MESSAGES/django.po; the renderer reads it without
Django settings, from the compiled .mo or, when there is none, from the .po itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from reports.rendering import wording
from reports.rendering.labels import LABELS
from reports.rendering.log import LOG_LABELS
from reports.rendering.notice_labels import NOTICE_LABELS
from reports.rendering.waterfall_labels import WATERFALL_LABELS
from reports.rendering.wording import InContext, Wording, english
from sib.management.commands.makemessages import Command as MakeMessages

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
TABLES: dict[str, Wording] = {
    "labels": LABELS,
    "waterfall_labels": WATERFALL_LABELS,
    "log": LOG_LABELS,
    "notice_labels": NOTICE_LABELS,
}
PLACEHOLDER = re.compile(r"\{\w*\}")


def _msgid(text: wording.Text) -> tuple[str | None, str]:
    return (text.context, text.message) if isinstance(text, InContext) else (None, text)


def _po_entries() -> dict[tuple[str | None, str], tuple[str, bool]]:
    with PO.open("rb") as source:
        catalogue = read_po(source)
    return {(m.context, m.id): (m.string, m.fuzzy) for m in catalogue if isinstance(m.id, str)}


@pytest.mark.parametrize("name", TABLES)
def test_both_languages_have_the_same_keys(name):
    table = TABLES[name]
    assert table["fr"].keys() == table["en"].keys() == table.texts.keys()


@pytest.mark.parametrize("name", TABLES)
def test_english_prints_the_msgid(name):
    table = TABLES[name]
    assert dict(table["en"]) == {key: english(text) for key, text in table.texts.items()}


@pytest.mark.parametrize("name", TABLES)
def test_every_key_has_a_french_translation_in_the_catalogue(name):
    entries = _po_entries()
    table = TABLES[name]
    for key, text in table.texts.items():
        msgid = _msgid(text)
        assert msgid in entries, f"{name}.{key}: {msgid} is not in django.po"
        french, fuzzy = entries[msgid]
        assert french and not fuzzy, f"{name}.{key}: {msgid} has no French"
        assert table["fr"][key] == french, f"{name}.{key}: the compiled catalogue differs"


@pytest.mark.parametrize("name", TABLES)
def test_french_keeps_the_placeholders(name):
    table = TABLES[name]
    for key in table.texts:
        english_slots = sorted(PLACEHOLDER.findall(table["en"][key]))
        assert sorted(PLACEHOLDER.findall(table["fr"][key])) == english_slots, key


def test_a_missing_compiled_catalogue_reads_the_po(tmp_path, monkeypatch):
    messages = tmp_path / "fr" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    shutil.copy(PO, messages / "django.po")
    monkeypatch.setattr(wording, "LOCALE_DIR", tmp_path)
    wording.french.cache_clear()
    try:
        from_po = {key: wording.translate(wording.french(), t) for key, t in LABELS.texts.items()}
    finally:
        wording.french.cache_clear()
    assert from_po == dict(LABELS["fr"])


def test_an_unknown_language_is_refused():
    with pytest.raises(KeyError):
        LABELS["de"]


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_makemessages_finds_every_report_text(tmp_path):
    # The keywords Django's makemessages passes to xgettext, plus the project's own.
    keywords = ["--keyword=gettext_noop", "--keyword=pgettext_lazy:1c,2"]
    files = [str(ROOT / "reports" / "rendering" / f"{name}.py") for name in TABLES]
    out = tmp_path / "found.pot"
    options = [*keywords, *MakeMessages.xgettext_options, "-o", str(out)]
    subprocess.run(["xgettext", "--language=Python", *options, *files], check=True)
    with out.open("rb") as source:
        found = {(m.context, m.id) for m in read_po(source) if m.id}
    wanted = {_msgid(text) for table in TABLES.values() for text in table.texts.values()}
    assert wanted <= found
