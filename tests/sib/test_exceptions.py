"""The project's errors: the API's handler maps each kind to its status, with its code."""

import ast
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext_lazy
from rest_framework.request import Request

from sib.api.problems import PROBLEM_CONTENT_TYPE, exception_handler
from sib.exceptions import ApplicationError, Conflict, InvalidInput, NotFound, Refused

ROOT = Path(__file__).resolve().parents[2]


def _handle(error: Exception):
    request = Request(RequestFactory().post("/api/programmes/1/results/"))
    return exception_handler(error, {"request": request})


@pytest.mark.parametrize(
    ("kind", "status"), [(InvalidInput, 400), (Refused, 403), (NotFound, 404), (Conflict, 409)]
)
def test_each_error_kind_is_a_problem_with_its_status_and_code(kind, status):
    response = _handle(kind("Only a ready report can be published.", code="publish_needs_ready"))
    assert response.status_code == status
    assert response.content_type == PROBLEM_CONTENT_TYPE
    assert response.data["status"] == status
    assert response.data["code"] == "publish_needs_ready"
    assert response.data["detail"] == "Only a ready report can be published."
    assert response.data["instance"] == "/api/programmes/1/results/"


def test_an_error_without_a_code_carries_its_kinds_default():
    assert _handle(Conflict("Busy.")).content_type == PROBLEM_CONTENT_TYPE
    assert _handle(Conflict("Busy.")).data["code"] == "conflict"
    assert _handle(Refused("No.")).data["code"] == "refused"


def test_an_error_naming_a_field_lists_it_under_errors():
    response = _handle(InvalidInput("Too early.", code="too_early", field="occurred_on"))
    assert response.data["errors"] == [{"field": "occurred_on", "message": "Too early."}]


def test_the_message_is_translated_where_it_is_shown_with_its_parameters():
    error = Conflict(
        gettext_lazy("Only a verified result can be amended; this one is %(state)s."),
        code="amend_needs_verified",
        params={"state": "rejected"},
    )
    with translation.override("en"):
        assert _handle(error).data["detail"] == (
            "Only a verified result can be amended; this one is rejected."
        )
    with translation.override("fr"):
        assert "rejected" in _handle(error).data["detail"]
        assert "Only a verified" not in _handle(error).data["detail"]


def test_refused_and_not_found_are_what_django_knows():
    assert isinstance(Refused("No."), PermissionDenied)
    assert isinstance(NotFound("None."), Http404)
    assert issubclass(Conflict, ApplicationError)


# --- services know nothing of HTTP ----------------------------------------------------------

APPS = ("sib", "outcomes", "payments", "reports")
HTTP_LAYER = ("rest_framework", "sib.api", "drf_spectacular")


def _http_free_modules() -> list[Path]:
    """Services, selectors, refusals, engines and rules: the modules HTTP stays out of."""
    found: list[Path] = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            parts = path.relative_to(ROOT).parts
            name = path.stem
            if (
                name in ("services", "refusals", "exceptions")
                or name.startswith("selectors")
                or "services" in parts[:-1]
                or "selectors" in parts[:-1]
                or "engine" in parts[:-1]
                or "rules" in parts[:-1]
            ):
                found.append(path)
    return found


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_the_walk_finds_the_modules_it_guards():
    found = {str(path.relative_to(ROOT)) for path in _http_free_modules()}
    assert {
        "outcomes/services.py",
        "reports/selectors/report.py",
        "payments/engine/waterfall.py",
    } <= (found)
    assert any(name.startswith("payments/rules/") for name in found)


def test_no_service_selector_engine_or_rule_imports_the_http_layer():
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in _http_free_modules()
        for module in _imported_modules(path)
        if any(module == layer or module.startswith(layer + ".") for layer in HTTP_LAYER)
    ]
    assert offenders == []
