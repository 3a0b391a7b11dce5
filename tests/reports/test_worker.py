"""A report requested through the API is built by the real Celery worker."""

import hashlib

import pytest

from tests.reports.conftest import make_bond
from tests.support import wait_for


@pytest.mark.worker
def test_the_worker_builds_a_requested_report_that_then_downloads(worker, monkeypatch):
    # No schedule recompute while the bond is set up: the worker running one while a
    # verification appends to the chain can deadlock (reported), and a recompute would
    # move the chain head under the test. Reports need neither.
    with monkeypatch.context() as patch:
        patch.setattr("sib.chain._MOVED", [])
        bond = make_bond(slug="worker-bond")
    client = bond.client(bond.manager)
    base = f"/api/programmes/{bond.programme.pk}/reports/"
    for edition in ("public", "manager"):
        queued = client.post(base + "request/", {"edition": edition, "language": "fr"})
        assert queued.status_code == 202, queued.content
        url = base + f"{queued.json()['id']}/"

        def ready(url=url):  # type: ignore[no-untyped-def]
            body = client.get(url).json()
            assert body["status"] != "failed", body["failure"]
            return body if body["status"] == "ready" else None

        body = wait_for(ready, timeout=90)
        assert body["progress"] == 100
        pdf = client.get(body["download_url"])
        assert pdf.status_code == 200, worker.log()[-3000:]
        assert hashlib.sha256(pdf.content).hexdigest() == body["sha256"] == pdf["X-Content-SHA256"]
