"""Every API operation in the schema × every role × own and foreign programme.

The rows live beside each app's tests (tests/<app>/permission_rows.py). An operation
added to the API without a row fails `test_every_api_operation_has_a_row`.
"""

import contextlib
import importlib
import re
import uuid

import pytest
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.cast import make_cast
from tests.permissions.rows import ALL_ROLES, Row

APPS = ("sib", "outcomes", "payments", "reports")
DENIED = {401, 403, 404, 405}


def _rows_and_params() -> tuple[dict[str, Row], dict]:
    rows: dict[str, Row] = {}
    params: dict = {}
    for app in APPS:
        try:
            module = importlib.import_module(f"tests.{app}.permission_rows")
        except ModuleNotFoundError:
            continue
        for name, row in module.ROWS.items():
            assert name not in rows, f"{name} has two rows"
            rows[name] = row
        params.update(getattr(module, "PARAMS", {}))
    return rows, params


def _operations() -> list[tuple[str, str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (op["operationId"], method.upper(), path)
        for path, methods in schema["paths"].items()
        for method, op in methods.items()
    )


def test_every_api_operation_has_a_row():
    rows, _ = _rows_and_params()
    operations = {operation_id for operation_id, _, _ in _operations()}
    assert sorted(operations - set(rows)) == [], "operations without a permission row"
    assert sorted(set(rows) - operations) == [], "rows for operations that no longer exist"


class _Rollback(Exception):
    pass


def _call(client: APIClient, method: str, url: str):  # type: ignore[no-untyped-def]
    # Each call runs in a savepoint that is rolled back, so an allowed write (activate,
    # close...) does not change what the next role sees.
    response = None
    with contextlib.suppress(_Rollback), transaction.atomic():
        response = client.generic(
            method,
            url,
            data="{}",
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
        raise _Rollback
    return response


def _url(path: str, programme, params) -> str:  # type: ignore[no-untyped-def]
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        resolver = params.get(name)
        assert resolver is not None, f"no resolver for path parameter {name!r}"
        return str(resolver(programme))

    return re.sub(r"\{(\w+)\}", value, path)


@pytest.mark.django_db
def test_permission_matrix():
    rows, params = _rows_and_params()
    cast = make_cast("matrix")
    failures: list[str] = []
    for operation_id, method, path in _operations():
        row = rows.get(operation_id)
        if row is None:
            continue
        scoped = "{programme_id}" in path
        assert scoped == row.scoped, f"{operation_id}: row says scoped={row.scoped}"
        urls = {"own": _url(path, cast.own, params)}
        if scoped:
            urls["foreign"] = _url(path, cast.foreign, params)
        callers = {**cast.users, "stranger": cast.stranger, "staff": cast.staff, "anonymous": None}
        for who, user in callers.items():
            client = APIClient()
            if user is not None:
                client.force_authenticate(user)
            for where, url in urls.items():
                status = _call(client, method, url).status_code
                expected = _expected(row, who, where)
                if not _matches(expected, status):
                    failures.append(
                        f"{operation_id} {method} {where} as {who}: "
                        f"expected {expected}, got {status}"
                    )
    assert failures == [], "\n".join(failures)


def _expected(row: Row, who: str, where: str) -> str:
    if who == "anonymous":
        return "allowed" if "anonymous" in row.allowed else "401"
    if not row.scoped:
        return "allowed" if who in row.allowed else "403"
    if who == "staff":
        # Staff see every programme but hold no role rights on it.
        return "allowed" if row.allowed == ALL_ROLES or "staff" in row.allowed else "403"
    if where == "foreign" or who == "stranger":
        return "404"
    return "allowed" if who in row.allowed else "403"


def _matches(expected: str, status: int) -> bool:
    if expected == "allowed":
        return status not in DENIED
    return status == int(expected)
