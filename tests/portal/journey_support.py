"""What the browser journeys share: numbered screenshots, and waiting for the worker."""

import time

from playwright.sync_api import Page

from tests.portal.conftest import ROOT

# CI keeps var/ as its artefacts: each journey's screenshots, one folder per language.
SHOTS = ROOT / "var" / "journeys"


class Shots:
    """Numbered screenshots of one journey, one folder per journey and language."""

    def __init__(self, page: Page, name: str) -> None:
        self.page, self.folder, self.count = page, SHOTS / name, 0
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()

    def take(self, step: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{step}.png"), full_page=True)


def worker_idle(timeout: float = 90.0) -> None:
    # The database is flushed after each test; a task still running then (a recompute, a
    # report build) would deadlock the flush's TRUNCATE. Wait for the outbox to drain.
    from sib.models import OutboxMessage

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not OutboxMessage.objects.filter(completed_at=None, failed_at=None).exists():
            return
        time.sleep(0.25)
