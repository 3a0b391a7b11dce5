"""Run the fault runner (tests/faults/) on longer or other seeds than CI's.

    DATABASE_URL=... CELERY_BROKER_URL=... python bench/faults.py --seed 7 --seed 8 --operations 200

Each seed is one run of tests/faults/test_faults.py: a fresh test database, a live server,
a real Celery worker of its own, `--operations` writes through the API with faults
injected in between, then the invariants. One summary per seed is printed (seed,
operations, faults injected by kind, answers, invariants checked, violations); the exit
status is pytest's (0: no violation). A seed replays the same choices in the same order:
the summary's "plan" digest is equal for two runs of one seed. Without --seed, CI's
seeds run. At most 45 verifications are submitted per run (one per metric, cohort and
period); past them a verification turns into a payment received.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from tests.faults.plan import CI_PLAN, FaultPlan  # noqa: E402


class FaultPlanPlugin:
    """Hand the plan to tests/faults/test_faults.py (it reads `config.fault_plan`)."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan

    def pytest_configure(self, config) -> None:  # type: ignore[no-untyped-def]
        config.fault_plan = self.plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, action="append", help="repeat for several seeds")
    parser.add_argument("--operations", type=int, default=100)
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args()
    os.chdir(ROOT)
    plan = FaultPlan(seeds=tuple(args.seed or CI_PLAN.seeds), operations=args.operations)
    return pytest.main(
        [
            "tests/faults/test_faults.py",
            "-p",
            "no:cacheprovider",
            "-q",
            "-o",
            f"timeout={600 + 5 * plan.operations}",
            *args.pytest_args,
        ],
        plugins=[FaultPlanPlugin(plan)],
    )


if __name__ == "__main__":
    sys.exit(main())
