"""What a permission-matrix row says, and where each app's rows live.

Each app lists its API operations in `tests/<app>/permission_rows.py`:

    ROWS = {"programme_update": scoped(FM)}
    PARAMS = {"tranche_id": lambda programme: make_tranche(programme).pk}

A scoped row names the roles (on the programme) allowed to call the operation; every
other role gets 403 and anyone without a role on the programme gets 404. An unscoped
row names who may call it among roles, "stranger" (logged in, no role), "staff" and
"anonymous".
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FM, EV, LEAD, FUNDER, INV = (
    "fund_manager",
    "evaluator",
    "lead_evaluator",
    "public_funder",
    "investor",
)
ALL_ROLES = frozenset({FM, EV, LEAD, FUNDER, INV})


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    scoped: bool = True


def scoped(*roles: str) -> Row:
    return Row(frozenset(roles), scoped=True)


def unscoped(*who: str) -> Row:
    return Row(frozenset(who), scoped=False)


ParamResolver = Callable[[Any], Any]  # programme -> path parameter value
