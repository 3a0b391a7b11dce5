"""What a fault run plays: CI's short set of seeds, or what bench/faults.py asks for.

No Django import here: bench/faults.py reads it before pytest sets Django up.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FaultPlan:
    seeds: tuple[int, ...]
    operations: int


# CI's run: two seeds of 15 operations, each with every kind of fault (about 25-45 s a
# seed on two busy cores, most of it waiting for the worker's restart and redeliveries).
CI_PLAN = FaultPlan(seeds=(1, 2), operations=15)
