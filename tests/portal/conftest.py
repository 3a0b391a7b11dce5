"""Portal tests: Django's test client for pages, Playwright on Debian's chromium for journeys.

Browser tests are marked `browser`; they drive /usr/bin/chromium (Playwright's own browser
download is not reachable here) against `live_server`. On failure, a screenshot, the page's
HTML and its console log are kept under test-artifacts/ (git-ignored).
"""

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cast import Cast, make_cast

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Containers often give /dev/shm 64 MB, where chromium's renderer crashes.
    "--disable-dev-shm-usage",
]
PASSWORD = "pw-123456789"  # tests.cast's password for every user


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(
        reason=f"Debian's chromium is not installed ({CHROMIUM}): apt-get install -y chromium"
    )
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    # PBKDF2 at Django's default cost takes over a second per hash on a slow machine, and
    # every cast user and every login hashes once. These tests are not about hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(db) -> Cast:  # type: ignore[no-untyped-def]
    return make_cast("portal")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@dataclass
class Console:
    """Everything the page wrote to its console, and its uncaught errors."""

    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.errors, "console errors:\n" + "\n".join(self.errors)


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(page, console: Console, request: pytest.FixtureRequest, monkeypatch):  # type: ignore[no-untyped-def]
    """Playwright's page, watched: console errors fail the test; failures leave artefacts."""
    # Playwright's sync API runs an event loop in this thread, so Django refuses ORM calls
    # from the test body unless told the loop is not ours to worry about.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    def on_console(message) -> None:  # type: ignore[no-untyped-def]
        line = f"[{message.type}] {message.text} ({message.location.get('url', '')})"
        console.lines.append(line)
        if message.type == "error":
            console.errors.append(line)

    page.on("console", on_console)
    page.on("pageerror", lambda error: console.errors.append(f"[pageerror] {error}"))
    page.set_default_timeout(10_000)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        _keep_artefacts(page, console, request.node.nodeid)
    else:
        console.assert_clean()


def _keep_artefacts(page, console: Console, nodeid: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", nodeid).strip("-")
    try:
        page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
        (ARTIFACTS / f"{stem}.html").write_text(page.content(), encoding="utf-8")
    except Exception as error:  # the page may be gone: keep what can be kept
        console.lines.append(f"[artefact] could not capture the page: {error}")
    (ARTIFACTS / f"{stem}.console.txt").write_text("\n".join(console.lines), encoding="utf-8")


@pytest.fixture
def log_in(page, live_server):  # type: ignore[no-untyped-def]
    """Return a function logging a user in through the login form."""

    def log_in_as(username: str, password: str = PASSWORD) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label(re.compile("^(Username|Nom d’utilisateur|Nom d'utilisateur)")).fill(
            username
        )
        page.locator("input[name=password]").fill(password)
        page.locator("form.stacked button[type=submit]").click()
        page.wait_for_load_state()

    return log_in_as


@pytest.fixture
def artefact_dir() -> Iterator[Path]:
    ARTIFACTS.mkdir(exist_ok=True)
    yield ARTIFACTS
