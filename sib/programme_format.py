"""The programme definition JSON: one document describing a whole deal (docs/programme-format.md).

    {"format": "sib-programme", "version": 1,
     "programme": {...}, "organisations": [...], "parties": [...],
     <sections added by other apps: "tranches", "waterfall", "metrics", "history", ...>}

`sib` owns the envelope and the programme, organisations and parties. Apps that depend
on `sib` register a `Section` for their part (imports flow one way: sib never imports
them). Loading validates every section first and reports every error with its JSON path
(`parties[2].payer_share: ...`), then writes everything in one transaction, in the
sections' `order`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FORMAT_NAME = "sib-programme"
FORMAT_VERSION = 1


class DefinitionError(Exception):
    """The definition is invalid; `errors` lists (JSON path, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors[:20]))


@dataclass
class LoadContext:
    """What sections share while loading: the programme and objects looked up by key."""

    programme: Any = None
    organisations: dict[str, Any] = field(default_factory=dict)  # slug -> Organisation
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    name: str
    order: int
    # Return (path, message) errors for the section's data; `document` is the whole file.
    validate: Callable[[Any, dict[str, Any]], list[tuple[str, str]]]
    # Write the section (inside the load transaction).
    load: Callable[[Any, LoadContext], None]
    # Return the section's data for one programme, or None to leave it out.
    dump: Callable[[Any], Any]


_SECTIONS: dict[str, Section] = {}


def section_register(section: Section) -> None:
    _SECTIONS[section.name] = section


def sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: s.order)
