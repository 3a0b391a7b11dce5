"""Imports live at the top of their module (issue 13): a function-level import is allowed
only where a comment just above it says why (the app registry not ready yet, a cycle).
Module-level imports keep a module's dependencies in one place and let mypy type what a
function returns."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("sib", "outcomes", "payments", "reports")
# How far above an import (or the first of a run of imports) its reason may stand.
REASON_LINES = 3


def _function_imports_without_reason(path: Path) -> list[int]:
    """The line numbers of `path`'s function-level imports with no reason above them."""
    lines = path.read_text().splitlines()
    tree = ast.parse("\n".join(lines))
    found: set[int] = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for body in _bodies(function):
            first_of_run: ast.stmt | None = None
            for statement in body:
                if not isinstance(statement, ast.Import | ast.ImportFrom):
                    first_of_run = None
                    continue
                first_of_run = first_of_run or statement
                above = lines[max(0, first_of_run.lineno - 1 - REASON_LINES) : first_of_run.lineno]
                if not any("#" in line for line in above):
                    found.add(statement.lineno)
    return sorted(found)


def _bodies(function: ast.AST) -> list[list[ast.stmt]]:
    """Every statement list inside `function` (its body, and those of its if/try/with)."""
    return [
        getattr(node, name)
        for node in ast.walk(function)
        for name in ("body", "orelse", "finalbody", "handlers")
        if isinstance(getattr(node, name, None), list)
        and all(isinstance(item, ast.stmt) for item in getattr(node, name))
    ]


def test_every_function_level_import_says_why():
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                found.extend(
                    f"{path.relative_to(ROOT)}:{line}"
                    for line in _function_imports_without_reason(path)
                )
    assert found == [], f"function-level imports with no comment saying why: {found}"


def test_the_check_finds_an_import_with_no_reason(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text(
        "def a():\n    from os import path\n    return path\n\n\n"
        "def b():\n    # the registry is not ready at import\n    from os import sep\n"
        "    from os import name\n    return sep, name\n\n\n"
        "def c():\n    def inner():\n        import json\n        return json\n    return inner\n"
    )
    assert _function_imports_without_reason(module) == [2, 15]
