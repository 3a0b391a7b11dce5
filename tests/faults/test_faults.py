"""The fault runner's CI-sized run: a short set of seeds (bench/faults.py runs longer ones).

Each seed drives a mix of writes through a live server while a real worker runs the
outbox, with faults injected in between (tests/faults/injectors.py), then checks the
invariants (tests/faults/runner.py). The summary is printed whatever pytest captures.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import WorkerProcess
from tests.faults.injectors import Injector
from tests.faults.plan import CI_PLAN, FaultPlan
from tests.faults.runner import fault_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _plan(config: pytest.Config) -> FaultPlan:
    # bench/faults.py sets its own through a plugin; the suite runs CI's.
    return getattr(config, "fault_plan", CI_PLAN)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "seed" in metafunc.fixturenames:
        metafunc.parametrize("seed", _plan(metafunc.config).seeds)


@pytest.fixture
def operations(request: pytest.FixtureRequest) -> int:
    return _plan(request.config).operations


@pytest.fixture(scope="module")
def fault_worker(celery_worker_process, tmp_path_factory) -> Iterator[WorkerProcess]:
    """A worker of the seeds' own (they kill and restart it); the session's stops meanwhile.

    One for every seed: a start costs seconds. The `worker` fixture starts the session's
    worker again for the next test that needs it.
    """
    celery_worker_process.stop()
    log = Path(settings.VAR_DIR) / "test-worker-faults.log"
    log.write_bytes(b"")
    # A killed pool process's message goes back after 1 s, not 10.
    worker = WorkerProcess(
        log, tmp_path_factory.mktemp("faults"), env={"CELERY_WORKER_LOST_WAIT": "1"}
    )
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def injector(fault_worker, transactional_db) -> Iterator[Injector]:
    if not fault_worker.running():
        fault_worker.start()
    injector = Injector(fault_worker)
    try:
        yield injector
    finally:
        injector.close()


def test_invariants_hold_under_faults(seed, operations, injector, live_server, capsys):
    summary = fault_run(
        seed=seed, operations=operations, base_url=live_server.url, injector=injector
    )
    # Printed past pytest's capture, so CI's log shows every seed's summary.
    with capsys.disabled():
        print(f"\n{summary.text()}")
    assert summary.violations == [], summary.text()
