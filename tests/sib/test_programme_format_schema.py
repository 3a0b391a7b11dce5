"""The programme format's JSON Schema (docs/programme-format.schema.json): it describes every
example the documentation gives, the demo and what programme_dump writes; a document that
breaks it is refused with each error at its JSON path, in words, never a traceback."""

import copy
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from outcomes.mechanisms import MECHANISMS
from outcomes.models import Direction, Stage, Unit
from payments.models import TrancheKind
from sib import bounds
from sib.demo import demo_definition
from sib.models import OrganisationKind, PartyRole, ProgrammeStatus, Role, User
from sib.programme_format import (
    DefinitionError,
    programme_definition_dump,
    programme_definition_load,
    programme_schema,
    schema_errors,
)

DOCS = Path(settings.BASE_DIR) / "docs" / "programme-format.md"
# The envelope a section's example sits in when the documentation shows it alone.
ENVELOPE = {
    "format": "sib-programme",
    "version": 1,
    "programme": {
        "name": "Example",
        "slug": "example",
        "currency": "EUR",
        "start_date": "2026-01-01",
        "end_date": "2030-12-31",
        "contract_cap": 150000000,
    },
}


def documented_examples() -> list[tuple[int, object]]:
    """Return (line, document) for every ```json block of docs/programme-format.md.

    A block that is a whole document is taken as it is; a block showing sections
    (`"history": {...}`) is put in a minimal envelope, as it would sit in a file.
    """
    text = DOCS.read_text(encoding="utf-8")
    examples = []
    for match in re.finditer(r"```json\n(.*?)```", text, flags=re.DOTALL):
        block = match.group(1).strip()
        line = text[: match.start()].count("\n") + 1
        if block.startswith('"'):
            examples.append((line, {**ENVELOPE, **json.loads("{" + block + "}")}))
        else:
            examples.append((line, json.loads(block)))
    return examples


def _errors_in_english(document):  # type: ignore[no-untyped-def]
    with translation.override("en"):
        return dict(schema_errors(document))


def test_the_schema_is_a_valid_draft_2020_12_schema():
    schema = programme_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_the_documentation_links_the_schema():
    assert "programme-format.schema.json" in DOCS.read_text(encoding="utf-8")


def test_the_documentation_shows_an_example_of_every_section():
    shown = set()
    for _line, document in documented_examples():
        shown |= set(document)
    assert shown >= set(programme_schema()["properties"])


@pytest.mark.parametrize(("line", "document"), documented_examples())
def test_every_example_in_the_documentation_is_valid(line, document):
    assert _errors_in_english(document) == {}, f"docs/programme-format.md line {line}"


def test_the_demo_programme_is_valid():
    assert _errors_in_english(demo_definition()) == {}


@pytest.mark.django_db
def test_what_programme_dump_writes_is_valid():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    creator = User.objects.create_superuser("root", password="pw-123456789")
    programme = programme_definition_load(demo_definition(), creator=creator)
    dumped = programme_definition_dump(programme)
    assert "history" in dumped
    assert _errors_in_english(dumped) == {}


# --- the schema says what the code and the database hold ---------------------------------


def _defs():  # type: ignore[no-untyped-def]
    return programme_schema()["$defs"]


@pytest.mark.parametrize(
    ("where", "choices"),
    [
        (("organisation_kind", "enum"), OrganisationKind.values),
        (("party_role", "enum"), PartyRole.values),
        (("programme", "properties", "status", "enum"), ProgrammeStatus.values),
        (("membership", "properties", "role", "enum"), Role.values),
        (("metric", "properties", "unit", "enum"), Unit.values),
        (("direction", "enum"), Direction.values),
        (("result", "properties", "stage", "enum"), Stage.values),
        (("tranche", "properties", "kind", "enum"), TrancheKind.values),
        (("mechanism", "properties", "kind", "enum"), list(MECHANISMS)),
    ],
)
def test_the_schemas_choices_are_the_models(where, choices):
    node = _defs()
    for key in where:
        node = node[key]
    assert sorted(node) == sorted(choices)


def test_the_schemas_bounds_are_those_of_sib_bounds():
    defs = _defs()
    assert defs["money"]["maximum"] == defs["optional_money"]["maximum"] == bounds.MAX_MONEY
    assert defs["count"]["maximum"] == defs["optional_count"]["maximum"] == bounds.MAX_COUNT
    assert defs["name"]["maxLength"] == bounds.MAX_NAME_CHARS
    assert defs["code"]["maxLength"] == bounds.MAX_CODE_CHARS
    assert defs["slug"]["maxLength"] == defs["optional_slug"]["maxLength"] == bounds.MAX_SLUG_CHARS
    assert defs["text"]["maxLength"] == bounds.MAX_TEXT_CHARS
    assert defs["username"]["maxLength"] == bounds.USERNAME_CHARS
    assert defs["tranche"]["properties"]["priority"]["maximum"] == bounds.SMALLINT_MAX
    places = bounds.MAX_DECIMAL_PLACES
    assert defs["result_decimal"]["pattern"].endswith(f"(\\.[0-9]{{1,{places}}})?$")
    assert f"{{1,{bounds.MAX_DECIMAL_INTEGER_DIGITS}}}" in defs["rate"]["pattern"]
    assert defs["rate"]["pattern"].endswith(f"(\\.[0-9]{{1,{bounds.RATE_DECIMAL_PLACES}}})?$")


# --- mutations: each error at its path, in words -------------------------------------------


def _mutated(where, value):  # type: ignore[no-untyped-def]
    document = demo_definition()
    target = document
    for step in where[:-1]:
        target = target[step]
    if value is DELETE:
        del target[where[-1]]
    else:
        target[where[-1]] = value
    return document


DELETE = object()
PER_PERSON = "metrics[0].mechanism.payable_per_participant"


@pytest.mark.parametrize(
    ("where", "value", "path", "message"),
    [
        (("programme", "name"), "x" * 201, "programme.name", "Too long: at most 200 characters."),
        (("programme", "name"), "  ", "programme.name", "must not be blank"),
        (("programme", "contract_cap"), DELETE, "programme.contract_cap", "required"),
        (
            ("programme", "contract_cap"),
            10**15 + 1,
            "programme.contract_cap",
            "Too large: at most 1,000,000,000,000,000 minor units (cents).",
        ),
        (("programme", "contract_cap"), "150000000", "programme.contract_cap", "must be a whole"),
        (
            ("metrics", 0, "mechanism"),
            {"kind": "tracked", "price": 0},
            "metrics[0].mechanism.price",
            "unknown field",
        ),
        (("metrics", 0, "mechanism"), {"price": 80000}, "metrics[0].mechanism.kind", "required"),
        (("programme", "start_date"), "2026-02-30", "programme.start_date", "must be a date"),
        (("programme", "capp"), 1, "programme.capp", "unknown field"),
        (("programme", "status"), "paused", "programme.status", "must be one of draft, active"),
        (("programme", "status"), "terminated", "programme.termination_date", "required"),
        (("organisations", 0, "kinds"), [], "organisations[0].kinds", "must not be empty"),
        (("parties", 0, "payer_share"), 70, "parties[0].payer_share", "must be a string or null"),
        (("cohorts", 0, "planned_size"), 10**9, "cohorts[0].planned_size", "Too large: at most"),
        (("metrics", 0, "mechanism", "price"), -1, "metrics[0].mechanism.price", "at least 0"),
        (("metrics", 0, "mechanism", "kind"), "bonus", "metrics[0].mechanism.kind", "one of"),
        *(
            (("metrics", 0, "mechanism", "payable_per_participant"), value, PER_PERSON, message)
            for value, message in (
                (0, "Must be at least 1."),
                (10**9, "Too large: at most 999,999,999"),
                (2.5, 'must be a whole number of at least 1, or "each"'),
                ("all", 'must be a whole number of at least 1, or "each"'),
                ([2], 'must be a whole number of at least 1, or "each"'),
            )
        ),
        (("tranches", 0, "priority"), 0, "tranches[0].priority", "Must be at least 1."),
        (("tranches", 0, "cap", "value"), "0.0512345", "tranches[0].cap.value", "6 decimal"),
        (("tranches", 0, "commitments", 0, "amount"), 0, "tranches[0].commitments[0].amount", "1"),
        (("waterfall", 0, "kind"), "interest", "waterfall[0].kind", "must be one of"),
        (("waterfall", 0, "share"), "0.1", "waterfall[0].share", "unknown field"),
        (("payment_terms", "participant_cap"), 1.5, "payment_terms.participant_cap", "1.5 is not"),
        (("history", "results", 0, "value"), "1e3", "history.results[0].value", "exponent"),
        (("history", "results", 0, "stage"), "done", "history.results[0].stage", "interim, final"),
        (("history", "drawdowns", 2, "amount"), DELETE, "history.drawdowns[2].amount", "required"),
        (
            ("history", "payments_received", 0, "advance"),
            "yes",
            "history.payments_received[0].advance",
            "must be true or false",
        ),
        (("history", "refunds"), [], "history.refunds", "unknown field"),
        (("surprise",), {}, "surprise", "unknown section"),
        (("version",), 2, "version", "must be 1"),
    ],
)
def test_a_document_breaking_the_schema_is_refused_at_the_path(where, value, path, message):
    errors = _errors_in_english(_mutated(where, value))
    assert path in errors, errors
    assert message in errors[path]


def test_errors_come_sorted_by_their_path():
    document = demo_definition()
    document["tranches"][1]["priority"] = "2"
    document["cohorts"][2]["planned_size"] = -1
    document["history"]["results"][0]["value"] = 62
    del document["history"]["drawdowns"][1]["amount"]  # "required", said at the field
    document["zz"] = 1
    document["cohorts"][0]["size"] = 1
    paths = [path for path, _message in schema_errors(document)]
    assert paths == [
        "cohorts[0].size",
        "cohorts[2].planned_size",
        "history.drawdowns[1].amount",
        "history.results[0].value",
        "tranches[1].priority",
        "zz",
    ]


def test_the_messages_follow_the_users_language():
    document = _mutated(("cohorts", 0, "code"), "in work")
    document["surprise"] = 1
    with translation.override("fr"):
        errors = dict(schema_errors(document))
    assert "n’est pas un code" in errors["cohorts[0].code"]
    assert errors["surprise"] == "section inconnue"


@pytest.mark.django_db
def test_the_loader_lists_the_schemas_errors_with_the_rules_of_the_other_sections():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    creator = User.objects.create_superuser("root", password="pw-123456789")
    document = demo_definition()
    document["tranches"][0]["cap"] = "5%"  # the schema's
    document["parties"][1]["payer_share"] = "31"  # a rule across parties
    with translation.override("en"), pytest.raises(DefinitionError) as error:
        programme_definition_load(document, creator=creator)
    errors = dict(error.value.errors)
    assert errors["tranches[0].cap"] == "must be an object or null"
    assert errors["parties"].startswith("outcome payers' shares must sum to exactly 100")
    # Said once, by the schema: not again in the tranche validator's words.
    assert [path for path, _m in error.value.errors].count("tranches[0].cap") == 1


# --- fuzz: any mutation gives listed errors with paths, never an exception -------------------

DEMO = demo_definition()


def _paths(value, prefix=()):  # type: ignore[no-untyped-def]
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


PATHS = [p for p in _paths(DEMO) if p]
VALUES = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from([True, None, 1.5, "", " ", "1e30", "2.5", "x" * 300, "2026-02-30", "é"]),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations=st.lists(st.tuples(st.sampled_from(PATHS), VALUES), min_size=1, max_size=3))
def test_a_mutated_document_gives_errors_at_paths_of_the_document(mutations):
    document = copy.deepcopy(DEMO)
    for where, value in mutations:
        target = document
        try:
            for step in where[:-1]:
                target = target[step]
            target[where[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    errors = schema_errors(document)
    assert all(isinstance(p, str) and isinstance(m, str) and m for p, m in errors)
    mutated = {".".join(map(str, where[:1])) for where, _value in mutations}
    # Every error is in a section that was mutated (the demo itself is valid).
    assert all(path.split(".")[0].split("[")[0] in mutated for path, _m in errors), errors
