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


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    # A browser set up in French, like most of the portal's users'. The portal follows the
    # browser's Accept-Language; chromium's own default would be en-US.
    return {**browser_context_args, "locale": "fr-FR"}


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
    expected: list[str] = field(default_factory=list)

    def expect_error(self, text: str) -> None:
        """Accept console errors containing `text` (a test that asks for a 404, say)."""
        self.expected.append(text)

    def assert_clean(self) -> None:
        unexpected = [e for e in self.errors if not any(t in e for t in self.expected)]
        assert not unexpected, "console errors:\n" + "\n".join(unexpected)


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture(scope="session")
def orm_beside_playwright() -> Iterator[None]:
    # Playwright's sync API keeps an event loop running in this thread until the session
    # ends, so Django refuses ORM calls (the test's own, and the database teardown) unless
    # told that loop runs no Django code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(page, console: Console, request: pytest.FixtureRequest, orm_beside_playwright):  # type: ignore[no-untyped-def]
    """Playwright's page, watched: console errors fail the test; failures leave artefacts."""

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
