"""Every API operation fuzzed against its OpenAPI schema (schemathesis), as every role.

In-process: schemathesis calls the WSGI application, on the test database holding the
demo programme and its six users (sib.demo). Path ids point, most of the time, at objects
of the demo programme, so that cases reach the code behind the lookups rather than a 404.
Every run is derandomized (the same cases each time) and bounded by an environment
variable, and prints its summary line in CI's output, pass or fail.

- Positive: each operation gets SIB_FUZZ_API_CASES schema-valid cases (default 100); each
  case is sent as one of the six roles, chosen from the case itself.
- Negative: each operation gets SIB_FUZZ_API_NEGATIVE_CASES schema-invalid cases (default
  100): every one must be refused (4xx, never 5xx, never a success), and a 400 must be
  problem details naming each field.
- Stateful: SIB_FUZZ_API_STATEFUL_SCENARIOS scenarios (default 100) of up to
  STATEFUL_STEPS calls, following the links the schema declares (sib.api.schema.link):
  a result submitted, then read, verified, amended; a drawdown, then reversed.

All of schemathesis' checks run on every response: no 5xx; status codes, content types,
headers and bodies as documented; valid input not refused as invalid, invalid input not
accepted; authentication not ignored; what was created can be read. Each run fails on any
failure, listing each with the request that caused it.
"""

import contextlib
import json
import logging
import time
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.config import SchemathesisConfig
from schemathesis.core.control import SkipTest
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode

from outcomes.models import Cohort, MeasurementPeriod, Metric, Result
from payments.models import Commitment
from payments.models.ledger import LedgerTransaction
from reports.models import Report
from sib.chain import chain_head
from sib.demo import DEMO_SLUG, DEMO_USERS, demo_seed
from sib.env import env_int
from sib.models import Membership, Programme, User
from sib.services import membership_add
from sib.tokens import token_issue
from tests.cast import make_programme

# Minutes per run: `make test` and CI run them, `make test-fast` does not.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CASES = env_int("SIB_FUZZ_API_CASES", 100, minimum=1)
NEGATIVE_CASES = env_int("SIB_FUZZ_API_NEGATIVE_CASES", 100, minimum=1)
STATEFUL_SCENARIOS = env_int("SIB_FUZZ_API_STATEFUL_SCENARIOS", 100, minimum=1)
STATEFUL_STEPS = 6
# Every check on. A schema-valid request may still break a rule the schema cannot state
# (a cohort code the programme does not have, a date outside it, a sum over a cap): that is
# a 400 naming the field, so 400 counts among the answers valid data may get.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
            }
        }
    }
)


def problem_names_the_field(ctx: Any, response: Any, case: Any) -> bool | None:
    """A schema-invalid request refused as invalid gets problem details naming each field."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative or response.status_code != 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.startswith("application/problem+json"), (
        f"a 400 answered {content_type!r}, not problem details"
    )
    try:
        json.loads(response.request.body or b"")
    except ValueError:
        return True  # a body that is not JSON has no fields to name; its detail says so
    errors = json.loads(response.content).get("errors")
    assert errors and all(isinstance(error.get("field"), str) for error in errors), (
        f"a 400 names no field: {response.content[:500]!r}"
    )
    return True


def _negated(case: Any, location: ParameterLocation) -> bool:
    """Whether a negative case made `location` invalid (then it is sent as generated)."""
    component = case.meta.components.get(location) if case.meta else None
    return component is not None and component.mode.is_negative


def _pick(case_key: int, values: list[Any], fallback: Any) -> Any:
    return values[case_key % len(values)] if values else fallback


class Fuzz:
    def __init__(self) -> None:
        demo_seed()
        self.programme = Programme.objects.get(slug=DEMO_SLUG)
        self.tokens: dict[str, str] = {}
        for demo in DEMO_USERS:
            self.refresh(demo.role)
        self.roles = sorted(self.tokens)
        manager = User.objects.get(username="manager")
        # What the fuzz may end for good without ending the run's usefulness: a programme to
        # close and terminate, and memberships to revoke other than the six roles' own.
        self.spare = make_programme("fuzz-spare", manager)
        for number in range(3):
            user = User.objects.create_user(f"fuzz-evaluator-{number}")
            membership_add(programme=self.programme, user=user, role="evaluator")

    def refresh(self, role: str) -> None:
        username = next(demo.username for demo in DEMO_USERS if demo.role == role)
        self.tokens[role] = token_issue(user=User.objects.get(username=username)).key

    def ids(self) -> dict[str, list[Any]]:
        programme = self.programme
        return {
            "result_id": list(
                Result.objects.filter(programme=programme).values_list("pk", flat=True)
            ),
            "report_id": list(
                Report.objects.filter(programme=programme).values_list("pk", flat=True)
            ),
            "notice_id": list(
                Report.objects.filter(programme=programme).values_list("pk", flat=True)
            ),
            "transaction_id": list(
                LedgerTransaction.objects.filter(programme=programme).values_list("pk", flat=True)
            ),
            "membership_id": list(
                Membership.objects.filter(
                    programme=programme, user__username__startswith="fuzz-"
                ).values_list("pk", flat=True)
            ),
            "programme_slug": [programme.slug],
            "language": ["fr", "en"],
            "chain_head": [chain_head(programme_id=programme.pk)],
        }

    def prepare(self, case: Any, ids: dict[str, list[Any]]) -> str:
        """Aim the case at the demo programme (4 cases in 5) and pick its role."""
        key = zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode())
        parameters = case.path_parameters or {}
        if key % 5 and not _negated(case, ParameterLocation.PATH):
            if "programme_id" in parameters:
                ending = case.operation.path.endswith(("/close/", "/terminate/"))
                parameters["programme_id"] = (self.spare if ending else self.programme).pk
            for name, values in ids.items():
                if name in parameters and values:
                    parameters[name] = _pick(key // 5, values, parameters[name])
        return self.roles[key % len(self.roles)]


def fuzz_operation(
    fuzz: Fuzz, operation: Any, *, mode: GenerationMode, cases: int
) -> tuple[int, str | None]:
    """Run `cases` cases of one operation; return how many ran and the failure, if any."""
    ids = fuzz.ids()
    count = 0

    @hypothesis_settings(
        max_examples=cases,
        derandomize=True,
        database=None,
        deadline=None,
        # No shrinking: the first failing case is reported as it is, in bounded time.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal count
        count += 1
        role = fuzz.prepare(case, ids)
        try:
            case.call_and_validate(
                headers={"Authorization": f"Token {fuzz.tokens[role]}"},
                additional_checks=[problem_names_the_field],
            )
        finally:
            if operation.path == "/api/auth/token/revoke/":
                fuzz.refresh(role)  # a revoked token would leave the rest of the run at 401

    try:
        run()
    except (SkipTest, Unsatisfiable):
        if mode.is_negative and count == 0:
            return count, None  # nothing the schema constrains, so no request can break it
        raise
    except (Exception, BaseExceptionGroup) as exc:  # every check's failure is reported
        return count, str(exc)
    return count, None


def load_schema() -> Any:
    """Return the API's schema for schemathesis, its requests sent to the WSGI app."""
    raw = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(raw, config=CONFIG)
    schema.app = get_wsgi_application()
    return schema


@contextlib.contextmanager
def in_process() -> Iterator[None]:
    """Serve requests in this test's transaction, with refusals kept out of the log."""
    # Thousands of refusals (4xx) would flood the log; a 5xx still logs and fails a check.
    quiet = {name: logging.getLogger(name) for name in ("django.request", "axes")}
    levels = {name: logger.level for name, logger in quiet.items()}
    for logger in quiet.values():
        logger.setLevel(logging.ERROR)
    # As Django's test client does: a request's end must not close the test's connection
    # (its transaction holds the demo data).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
        for name, logger in quiet.items():
            logger.setLevel(levels[name])


def fuzz_schema(capsys: Any, *, mode: GenerationMode, cases: int) -> None:
    """Fuzz every operation in `mode`, print a line each and a summary; fail on any failure."""
    fuzz = Fuzz()
    schema = load_schema()
    rows: list[tuple[str, int, int]] = []
    failures: list[str] = []
    started = time.monotonic()
    with in_process():
        for result in schema.get_all_operations():
            operation = result.ok()
            label = f"{operation.method.upper()} {operation.path}"
            count, failure = fuzz_operation(fuzz, operation, mode=mode, cases=cases)
            rows.append((label, count, int(failure is not None)))
            with capsys.disabled():  # in CI's output, pass or fail
                print(
                    f"schemathesis {mode}: {label}  {count} cases  "
                    f"{int(failure is not None)} failed"
                )
            if failure is not None:
                failures.append(f"{label}: {failure}")
    seconds = time.monotonic() - started
    with capsys.disabled():
        print(
            f"schemathesis {mode} summary: {len(rows)} operations x up to {cases} cases "
            f"({sum(c for _, c, _ in rows)} cases, as {', '.join(fuzz.roles)}), "
            f"{len(failures)} failures, {seconds:.0f} s"
        )
    assert not failures, "\n\n".join(failures)


# The whole run's bound (pyproject's default per test is 300 s); see README "Configuration".
@pytest.mark.timeout(1800)
def test_every_operation_as_every_role_holds_to_the_schema(capsys):
    fuzz_schema(capsys, mode=GenerationMode.POSITIVE, cases=CASES)


@pytest.mark.timeout(900)
def test_every_operation_refuses_schema_invalid_input_as_every_role(capsys):
    fuzz_schema(capsys, mode=GenerationMode.NEGATIVE, cases=NEGATIVE_CASES)


def link_count(raw: dict[str, Any]) -> int:
    """Count the links the schema declares (schemathesis adds links it infers to its copy)."""
    return sum(
        len(response.get("links", {}))
        for methods in raw["paths"].values()
        for operation in methods.values()
        for response in operation["responses"].values()
    )


@pytest.mark.timeout(900)
def test_linked_operations_hold_to_the_schema_in_sequence(capsys):
    """Follow the schema's links (a result submitted, then read, verified, amended...)."""
    fuzz = Fuzz()
    schema = load_schema()
    declared = link_count(schema.raw_schema)
    ids = fuzz.ids()
    # A chain starts only from a call that creates something: a first call's body names
    # the demo programme's codes and commitments, so that some creations succeed.
    programme = fuzz.programme
    known: dict[str, list[Any]] = {
        "metric": list(Metric.objects.filter(programme=programme).values_list("code", flat=True)),
        "cohort": list(Cohort.objects.filter(programme=programme).values_list("code", flat=True)),
        "period": list(
            MeasurementPeriod.objects.filter(programme=programme).values_list("code", flat=True)
        ),
        "commitment": list(
            Commitment.objects.filter(programme=programme).values_list("pk", flat=True)
        ),
    }
    counts = {"scenarios": 0, "steps": 0, "linked": 0}

    current: dict[str, str | None] = {"role": None}
    tokens = dict(fuzz.tokens)

    # The token as schemathesis' auth provider, so that its checks count it as the
    # caller's own credentials (ignored_auth then tries the call without it).
    @schema.auth(refresh_interval=None)
    class RoleToken:
        def get(self, case: Any, context: Any) -> str:
            return fuzz.tokens[current["role"] or fuzz.roles[0]]

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}

    class Linked(schema.as_state_machine()):
        def setup(self) -> None:
            # One role per scenario, drawn from its first call (not a counter: a scenario
            # Hypothesis replays must run as the same role); links are followed by it.
            current["role"] = None
            counts["scenarios"] += 1
            # Each scenario starts from the same data: Hypothesis replays a scenario's
            # draws, and a link it could follow once (a result it created) must be
            # there again, or the run is "flaky", not failed.
            self.savepoint = transaction.savepoint_create()

        def teardown(self) -> None:
            transaction.savepoint_rollback(self.savepoint)
            fuzz.tokens.update(tokens)  # a revoked token is back, its refresh gone

        def step(self, input: Any) -> Any:
            counts["steps"] += 1
            if input.transition is None:
                role = fuzz.prepare(input.case, ids)  # a first call aims at the demo programme
                current["role"] = current["role"] or role
                body = input.case.body
                if isinstance(body, dict):
                    key = zlib.crc32(repr(body).encode())
                    for name, values in known.items():
                        if name in body and values:
                            body[name] = _pick(key, values, body[name])
            else:
                counts["linked"] += 1
            return super().step(input)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            kwargs.pop("additional_checks", None)
            super().validate_response(
                response, case, additional_checks=[problem_names_the_field], **kwargs
            )

        def after_call(self, response: Any, case: Any) -> None:
            if case.operation.path == "/api/auth/token/revoke/":
                fuzz.refresh(current["role"] or fuzz.roles[0])

    started = time.monotonic()
    failure = None
    with in_process():
        try:
            Linked.run(
                settings=hypothesis_settings(
                    max_examples=STATEFUL_SCENARIOS,
                    stateful_step_count=STATEFUL_STEPS,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
        except (Exception, BaseExceptionGroup) as exc:  # every check's failure is reported
            failure = str(exc)
    with capsys.disabled():
        print(
            f"schemathesis stateful summary: {declared} links, "
            f"{counts['scenarios']} scenarios of up to {STATEFUL_STEPS} calls "
            f"({counts['steps']} calls, {counts['linked']} through a link, "
            f"as {', '.join(fuzz.roles)}), {int(failure is not None)} failures, "
            f"{time.monotonic() - started:.0f} s"
        )
    assert failure is None, failure
