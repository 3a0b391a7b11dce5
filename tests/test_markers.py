"""The markers select what they say (CONTRIBUTING.md, "Test it").

`make test-fast` runs `-m "not worker and not browser and not slow"`: it must start no
Celery worker and no browser. A test asking for the worker is marked `worker` (the
conftest marks one its module forgot), one driving Playwright's page is marked `browser`.
Run in a selection, these check the tests the selection kept.
"""

import pytest

from tests.conftest import WORKER_FIXTURE


def test_every_test_that_starts_a_real_worker_is_marked_worker(request: pytest.FixtureRequest):
    unmarked = [
        item.nodeid
        for item in request.session.items
        if WORKER_FIXTURE in getattr(item, "fixturenames", ())
        and not item.get_closest_marker("worker")
    ]
    assert unmarked == []


def test_every_test_that_drives_a_browser_page_is_marked_browser(request: pytest.FixtureRequest):
    unmarked = [
        item.nodeid
        for item in request.session.items
        if "page" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("browser")
    ]
    assert unmarked == []
