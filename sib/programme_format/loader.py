"""The programme definition JSON: one document describing a whole deal (docs/programme-format.md).

    {"format": "sib-programme", "version": 1,
     "programme": {...}, "organisations": [...], "parties": [...],
     <sections added by other apps: "tranches", "waterfall", "metrics", "history", ...>}

`sib` owns the envelope and the programme, organisations and parties. Apps that depend
on `sib` register a `Section` for their part (imports flow one way: sib never imports
them). Loading validates every section first and reports every error with its JSON path
(`parties[2].payer_share: ...`), then writes everything in one transaction, in the
sections' `order`. The structure of every section is the format's JSON Schema
(docs/programme-format.schema.json, checked by sib.programme_format.schema); a section's
`validate` keeps the rules that need other sections, the database or the deal.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DataError, transaction
from django.utils.translation import gettext as _

from sib.bounds import document_errors
from sib.programme_format.schema import schema_errors

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
    # Load even when absent from the document (e.g. a step that applies the status).
    always_load: bool = False


_SECTIONS: dict[str, Section] = {}


def section_register(section: Section) -> None:
    _SECTIONS[section.name] = section


def sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: s.order)


# The parts of a definition that name people: who holds a role, and results brought in
# as submitted and verified by named users. Only staff (or the operator's commands) load
# them: a user who opens their own deal must not choose who verifies or accepts its
# results, nor learn from "no user 'x'" which logins exist (issue 12).
PEOPLE_PATHS = ("memberships", "history.results")


def _people_refusals(document: dict[str, Any]) -> list[tuple[str, str]]:
    refusals = []
    if document.get("memberships"):
        refusals.append(
            (
                "memberships",
                _(
                    "Only a staff administrator loads a definition that grants roles: whoever "
                    "opens their own deal does not choose who verifies or accepts its results. "
                    "Leave memberships out, then grant roles on the programme's members page."
                ),
            )
        )
    history = document.get("history")
    if isinstance(history, dict) and history.get("results"):
        refusals.append(
            (
                "history.results",
                _(
                    "Only a staff administrator brings in results verified before: they are "
                    "the evaluator's acts, not the fund manager's. Leave history.results out "
                    "and ask an administrator to load the running deal."
                ),
            )
        )
    return refusals


def _about_people(path: str) -> bool:
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in PEOPLE_PATHS)


def programme_definition_errors(
    document: Any, *, names_people: bool = True
) -> list[tuple[str, str]]:
    """Return every (JSON path, message) the format refuses in `document`; writes nothing.

    The validation `programme_definition_load` runs before it writes: the portal's guided
    setup runs it on the definition built so far, so a step shows the format's own errors.
    `names_people` is False when a user who is not staff opens their own deal (the portal):
    a definition that grants roles or brings in verified results is then refused at those
    paths, and nothing said there tells which logins exist.
    """
    # JSON safety first (sib.bounds): no NUL, no 2**70, no nesting past the limit reaches
    # the schema. Then the structure (sib.programme_format.schema): no validator below sees
    # a list where a code belongs, and nothing reaches a column it does not fit.
    errors = document_errors(document)
    if not errors and not isinstance(document, dict):
        errors = [("", _("the definition must be a JSON object"))]
    if errors:
        return errors
    errors = schema_errors(document)
    # Every section's rules run even where the schema refused something, so that one run
    # lists every error; what the schema already said at a path (or above it) is not
    # said again in the section's own words.
    said = {path for path, _message in errors}
    unchecked: list[tuple[str, Exception]] = []
    for section in sections():
        if section.name in document:
            try:
                found = section.validate(document[section.name], document)
            except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
                # A validator reads other sections too (a tranche's investor among the
                # organisations); malformed there, they are reported by the schema.
                unchecked.append((section.name, exc))
                continue
            errors.extend(item for item in found if not _said_above(item[0], said))
    if not names_people:
        errors = [item for item in errors if not _about_people(item[0])]
        errors.extend(_people_refusals(document))
    if unchecked and not errors:
        raise unchecked[0][1]  # a bug in a validator, not in the document
    errors.extend(
        (name, _("not fully checked: correct the other errors first")) for name, _exc in unchecked
    )
    return errors


def programme_definition_load(document: Any, *, creator: Any, names_people: bool = True) -> Any:
    """Validate the whole document, then create the programme and every section atomically.

    `names_people`: see `programme_definition_errors`.
    """
    errors = programme_definition_errors(document, names_people=names_people)
    if errors:
        raise DefinitionError(errors)
    context = LoadContext(extra={"creator": creator})
    loading = ""
    try:
        with transaction.atomic():
            for section in sections():
                if section.name in document or section.always_load:
                    # "_activation" and "_final_status" apply the programme's status.
                    loading = "programme" if section.name.startswith("_") else section.name
                    section.load(document.get(section.name), context)
    except ValidationError as exc:
        # A rule the services keep (shares, lifecycle...) that validation could not see alone.
        raise DefinitionError(section_paths(exc, loading)) from exc
    except DataError as exc:
        # A value the schema let through but its column does not hold: still a listed error.
        first_line = str(exc).split("\n")[0]
        message = _("the database refused a value: %(detail)s") % {"detail": first_line}
        raise DefinitionError([("", message)]) from exc
    return context.programme


def _said_above(path: str, said: set[str]) -> bool:
    """Whether `path` or a path above it ("tranches[1].cap" for "tranches[1].cap.value")
    already has an error."""
    while path:
        if path in said:
            return True
        path = path[: max(path.rfind("."), path.rfind("["), 0)]
    return False


def section_paths(error: ValidationError, section: str) -> list[tuple[str, str]]:
    """Return (JSON path, message) for a refusal a service raised while loading `section`.

    A service names its own field ("name"); whoever reads the listing needs the document's
    path ("programme.name"). A path the section already gave ("history.drawdowns[0]") is
    kept; a refusal of no field is the section's.
    """
    if not hasattr(error, "error_dict"):
        return [(section, message) for message in error.messages]
    found: list[tuple[str, str]] = []
    for key, messages in error.message_dict.items():
        if key == NON_FIELD_ERRORS or not key:
            path = section
        elif key == section or key.startswith((f"{section}.", f"{section}[")):
            path = key
        else:
            path = f"{section}.{key}" if section else key
        found.extend((path, message) for message in messages)
    return found


def programme_definition_dump(programme: Any) -> dict[str, Any]:
    """Return the programme's definition document (the inverse of loading)."""
    document: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
    for section in sections():
        data = section.dump(programme)
        if data is not None:
            document[section.name] = data
    return document
