"""The structure of the programme definition, checked against its JSON Schema.

The schema (docs/programme-format.schema.json, Draft 2020-12) says what each section holds:
types, required fields, choices, unknown keys refused, and the bounds of sib.bounds (money,
counts, the length of each column, decimal strings as their column holds them). It is
checked first, with `jsonschema`; each error becomes the loader's (JSON path, message)
pair, in the paths the rest of the format uses (`history.results[3].value`) and in the
user's language. What needs several sections, the database or a rule of the deal (shares
summing to 100, a drawdown within its commitment) stays in each section's code.

Extending the format: add the field to the schema (a `$defs` entry per object), then its
loader and dumper; the tests check every example of docs/programme-format.md against it.
"""

import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError

from sib.bounds import (
    MAX_DECIMAL_PLACES,
    MAX_MONEY,
    RATE_DECIMAL_PLACES,
    code_error,
    decimal_text_error,
    integer_error,
    money_error,
)

Errors = list[tuple[str, str]]

# Only "date" is asserted: "date-time" needs an optional package, and the offset a result's
# moments must carry is checked in code (payments.history_checks).
_FORMATS = FormatChecker(formats=["date"])
_DATE_MESSAGE = gettext_noop("must be a date written YYYY-MM-DD")


def schema_path() -> Path:
    """Return where the schema is published (beside the format's documentation)."""
    return Path(settings.BASE_DIR) / "docs" / "programme-format.schema.json"


@cache
def programme_schema() -> dict[str, Any]:
    """Return the format's JSON Schema (read once per process)."""
    schema: dict[str, Any] = json.loads(schema_path().read_text(encoding="utf-8"))
    return schema


@cache
def _validator() -> Draft202012Validator:
    schema = programme_schema()
    Draft202012Validator.check_schema(schema)
    # The published schema names its parts ($defs); the one checked has them in place,
    # which is the same schema (no part refers to itself) and twice as fast: resolving a
    # $ref for each of a thousand history entries was most of the time.
    return Draft202012Validator(_inlined(schema, schema["$defs"]), format_checker=_FORMATS)


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    """Return `node` with every local "$ref" replaced by the definition it names."""
    if isinstance(node, list):
        return [_inlined(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _inlined(value, defs) for key, value in node.items() if key not in REF_KEYS}
    if "$ref" not in node:
        return out
    target = _inlined(defs[node["$ref"].removeprefix("#/$defs/")], defs)
    # Beside a $ref, both apply: merged when they share no keyword, else both in allOf.
    return {"allOf": [target, out]} if set(target) & set(out) else {**target, **out}


REF_KEYS = frozenset({"$ref", "$defs"})


@cache
def _facts_validator() -> Draft202012Validator:
    schema = programme_schema()
    facts = _inlined(schema["$defs"]["facts"], schema["$defs"])
    return Draft202012Validator(facts, format_checker=_FORMATS)


def facts_errors(facts: Any) -> Errors:
    """Return (JSON path, message) for every way `facts` breaks `#/$defs/facts`, by path.

    The check the `facts` section's service makes before each write, whoever calls it
    (the loader, the INDIGO import): the column holds only what the schema describes.
    """
    found: dict[tuple[str, str], None] = {}
    for error in _facts_validator().iter_errors(facts):
        for parts, message in _messages(error, within=["facts"]):
            found.setdefault((json_path(parts), message), None)
    return sorted(found)


def json_path(parts: Iterable[str | int]) -> str:
    """Return the format's path for schema path parts: ("history", "results", 3) ->
    "history.results[3]"."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def schema_errors(document: Any) -> Errors:
    """Return (JSON path, message) for every way `document` breaks the schema, by path."""
    found: dict[tuple[str, str], list[tuple[int, int | str]]] = {}
    for error in _validator().iter_errors(document):
        for parts, message in _messages(error):
            # Keys and indexes never meet at one depth of a document: (0, index) and
            # (1, key) only make the parts comparable.
            key: list[tuple[int, int | str]] = [
                (0, p) if isinstance(p, int) else (1, p) for p in parts
            ]
            found.setdefault((json_path(parts), message), key)
    return sorted(found, key=lambda item: found[item])


def _messages(
    error: SchemaError, within: list[str | int] | None = None
) -> Iterator[tuple[list[str | int], str]]:
    parts: list[str | int] = [*(within or []), *error.absolute_path]
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword == "required":
        for name in expected:
            if isinstance(value, dict) and name not in value:
                yield [*parts, name], _("required")
    elif keyword == "additionalProperties" and isinstance(value, dict):
        known = set(error.schema.get("properties", {}))
        message = _("unknown section") if not parts else _("unknown field")
        for key in sorted(set(value) - known):
            yield [*parts, key], message
    else:
        yield parts, _message(error)


def _message(error: SchemaError) -> str:
    # One branch per JSON Schema keyword the format uses; a keyword added to the schema
    # and not given its message here falls to the last line.
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword in ("type", "pattern") and error.schema.get("pattern") == "^each$":
        # A rate card's payable_per_participant: a number (its bounds said below) or "each".
        return _('must be a whole number of at least 1, or "each"')
    if keyword == "type":
        return _type_message(expected, value)
    if keyword in ("minimum", "maximum"):
        maximum = error.schema.get("maximum", MAX_MONEY)
        minimum = error.schema.get("minimum", -MAX_MONEY)
        if maximum == MAX_MONEY:
            return money_error(value, minimum=minimum) or _("Out of bounds.")
        return integer_error(value, maximum=maximum, minimum=minimum) or _("Out of bounds.")
    if keyword == "maxLength":
        return _("Too long: at most %(count)s characters.") % {"count": f"{expected:,}"}
    if keyword == "pattern":
        return _pattern_message(expected, value)
    if keyword == "format":
        return _(_DATE_MESSAGE)
    if keyword == "enum":
        return _("must be one of %(choices)s") % {"choices": ", ".join(map(str, expected))}
    if keyword == "const":
        return _("must be %(value)s") % {"value": json.dumps(expected)}
    if keyword == "anyOf" and all(set(branch) == {"required"} for branch in expected):
        # "One of these fields at least": a guarantee's cover_limit or cover_percent.
        names = sorted(name for branch in expected for name in branch["required"])
        return _("needs at least one of %(fields)s") % {"fields": ", ".join(names)}
    if keyword in ("minItems", "minProperties"):
        return _("must not be empty")
    if keyword == "uniqueItems":
        return _("must not list an item twice")
    if keyword == "not" and expected == {}:
        # A field the schema forbids here (a price on a pause: the kind decides).
        return _("not allowed for this kind")
    return _("does not match the format (docs/programme-format.md)")


_TYPE_NAMES = {
    "string": gettext_noop("a string"),
    "integer": gettext_noop("a whole number"),
    "object": gettext_noop("an object"),
    "array": gettext_noop("a list"),
    "boolean": gettext_noop("true or false"),
    "null": gettext_noop("null"),
}


def _type_message(expected: str | list[str], value: Any) -> str:
    kinds = [expected] if isinstance(expected, str) else list(expected)
    if "string" in kinds and isinstance(value, float):
        # A rate written 0.05: JSON numbers with a fraction are binary floats.
        return _('must be a decimal string, such as "0.05", not a JSON number with a fraction')
    if "integer" in kinds and isinstance(value, float):
        # 1000.0: said as sib.bounds says it for the API.
        return integer_error(value, maximum=MAX_MONEY) or _("Must be a whole number.")
    names = [_(_TYPE_NAMES.get(kind, kind)) for kind in kinds]
    return _("must be %(kinds)s") % {"kinds": _(" or ").join(names)}


def _pattern_message(pattern: str, value: Any) -> str:
    text = str(value)
    if pattern == r"\S":
        return _("must not be blank")
    if "{0,2}" in pattern:
        return _("must be a date written YYYY, YYYY-MM or YYYY-MM-DD")
    if "[A-Z]{2}" in pattern:
        return _("must be a two-letter ISO 3166 country code, such as FR or GB")
    if "https?" in pattern:
        return _("must be a web address starting with http:// or https://")
    if "[0-9]{4}-" in pattern:
        return _(_DATE_MESSAGE)
    if "a-zA-Z" in pattern:
        return code_error(text) or _("%(value)r is not a code.") % {"value": text}
    places = MAX_DECIMAL_PLACES if "{1,6}" in pattern else RATE_DECIMAL_PLACES
    return decimal_text_error(text, places=places) or _("%(value)r is not a number.") % {
        "value": text
    }
