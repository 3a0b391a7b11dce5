"""programme_load on hostile files: every refusal is a listed error with its path.

Reproductions from issue 17: deep nesting, bigint overflow, a NUL in a name, "1e30" and a
UTF-16 file printed tracebacks; a history result verified by a user with no lead-evaluator
role was accepted. A fuzz test mutates the demo document: it loads or is refused with a
listed error, never anything else.
"""

import copy
import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sib.demo import demo_definition
from sib.models import Membership, Programme, User
from sib.programme_format import DefinitionError, programme_definition_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def users():
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create_superuser("root", password="pw-123456789")


def _load_file(path: Path) -> str:
    """Run the command; return its error listing (CommandError), or "" when it loaded."""
    try:
        call_command("programme_load", str(path))
    except CommandError as exc:
        return str(exc)
    return ""


def _write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "deal.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _errors(document, creator) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from django.utils import translation

    # English, as programme_load answers (its messages are not translated).
    with translation.override("en"), pytest.raises(DefinitionError) as error:
        programme_definition_load(document, creator=creator)
    return dict(error.value.errors)


def test_a_file_nested_100000_deep_is_a_listed_error(users, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"format": ' + "[" * 100_000 + "]" * 100_000 + "}")
    listing = _load_file(path)
    assert "nested deeper than" in listing
    assert not Programme.objects.exists()


def test_a_bigint_overflow_is_a_listed_error_naming_its_path(users, tmp_path):
    document = demo_definition()
    document["programme"]["contract_cap"] = 2**70
    listing = _load_file(_write(tmp_path, document))
    assert "programme.contract_cap: " in listing
    assert not Programme.objects.exists()


def test_a_nul_in_a_name_is_a_listed_error_naming_its_path(users, tmp_path):
    document = demo_definition()
    document["organisations"][0]["name"] = "Etat\u0000"
    listing = _load_file(_write(tmp_path, document))
    assert "organisations[0].name: " in listing
    assert "U+0000" in listing


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (("history", "results", 0, "value"), "history.results[0].value"),
        (("metrics", 0, "target_value"), "metrics[0].target_value"),
        (("parties", 0, "payer_share"), "parties[0].payer_share"),
        (("tranches", 0, "cap", "value"), "tranches[0].cap.value"),
    ],
)
def test_1e30_is_a_listed_error_naming_its_path(users, tmp_path, where, path):
    document = demo_definition()
    target = document
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = "1e30"
    listing = _load_file(_write(tmp_path, document))
    assert f"{path}: " in listing, listing


def test_a_sample_size_beyond_int4_is_a_listed_error(users):
    document = demo_definition()
    document["history"]["results"][0]["sample_size"] = 1_455_865_852_760
    errors = _errors(document, users)
    assert "history.results[0].sample_size" in errors


def test_a_name_longer_than_its_column_is_a_listed_error(users):
    document = demo_definition()
    document["cohorts"][0]["name"] = "x" * 201
    errors = _errors(document, users)
    assert errors["cohorts[0].name"].startswith("Too long")


def test_a_utf16_file_loads_like_its_utf8_twin(users, tmp_path):
    path = tmp_path / "deal.json"
    path.write_bytes(json.dumps(demo_definition(), ensure_ascii=False).encode("utf-16"))
    assert _load_file(path) == ""
    assert Programme.objects.filter(slug="jardins-solidaires").exists()


def test_a_latin1_file_is_a_listed_error(users, tmp_path):
    path = tmp_path / "deal.json"
    # Latin-1 has é and à but no typographic apostrophe: its editors type a straight one.
    text = json.dumps(demo_definition(), ensure_ascii=False).replace("\u2019", "'")
    path.write_bytes(text.encode("latin-1"))
    assert "is not UTF-8" in _load_file(path)


def test_a_history_result_verified_by_a_user_with_no_lead_evaluator_role_is_refused(users):
    User.objects.create(username="anyone")
    document = demo_definition()
    document["history"]["results"][0]["verified_by"] = "anyone"
    errors = _errors(document, users)
    assert "lead evaluator" in errors["history.results[0].verified_by"]
    assert not Membership.objects.filter(user__username="anyone").exists()


def test_a_history_result_submitted_by_a_user_with_no_evaluator_role_is_refused(users):
    document = demo_definition()
    document["history"]["results"][0]["submitted_by"] = "root"
    errors = _errors(document, users)
    assert "evaluator" in errors["history.results[0].submitted_by"]


# --- fuzz ----------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

HOSTILE = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([2**31, 2**63, -1, 0, 10**15 + 1, 1e30, -0.0, 1000.0, True, None]),
    st.sampled_from(["1e30", "NaN", "-Infinity", "", " ", "\u0000", "x" * 20_000, "2.5", "é"]),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _paths(value, prefix=()):  # type: ignore[no-untyped-def]
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


DEMO = demo_definition()
PATHS = [p for p in _paths(DEMO) if p]


@settings(
    max_examples=int(os.environ.get("SIB_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutations=st.lists(st.tuples(st.sampled_from(PATHS), HOSTILE), min_size=1, max_size=3))
def test_a_mutated_definition_loads_or_is_refused_with_listed_errors(users, mutations):
    from django.db import transaction

    document = copy.deepcopy(DEMO)
    for path, value in mutations:
        target = document
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced what this path went through

    class Loaded(Exception):
        pass

    try:
        with transaction.atomic():  # rolled back either way: the next example starts clean
            programme_definition_load(document, creator=users)
            raise Loaded
    except Loaded:
        pass
    except DefinitionError as exc:
        assert exc.errors
        assert all(isinstance(p, str) and isinstance(m, str) and m for p, m in exc.errors)
