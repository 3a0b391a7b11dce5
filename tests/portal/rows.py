"""What a portal role-matrix row says, and where each app's rows live.

Each app lists its programme pages in `tests/<app>/portal_rows.py`:

    PAGES = {"payments_portal:schedule": needs(Action.SCHEDULE_RUN)}

A row names the right (sib.permissions.Action) the page's view asks for, not roles: the
roles that may open it are read from sib.permissions.ROLE_RIGHTS, so the matrix cannot
drift from the table. A member whose roles lack the right gets 403; anyone without a role
on the programme gets 404; staff get the page when the right is one of STAFF_RIGHTS, else
403; an anonymous visitor is sent to log in.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sib.models import Programme, Role
from sib.permissions import STAFF_RIGHTS, Action, role_allows


@dataclass(frozen=True)
class PageRow:
    # The page opens to whoever holds any of these rights on the programme.
    actions: tuple[Action, ...]
    # What the page answers to a GET by one who may open it (405: a form's target).
    ok: int = 200
    # Path parameters this page resolves its own way (else tests.portal.test_scoping's).
    params: dict[str, Callable[[Programme], Any]] = field(default_factory=dict)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r for r in Role.values if any(role_allows(r, a) for a in self.actions))

    @property
    def staff(self) -> bool:
        return any(action in STAFF_RIGHTS for action in self.actions)


def needs(*actions: Action, ok: int = 200, **params: Callable[[Programme], Any]) -> PageRow:
    return PageRow(tuple(actions), ok=ok, params=params)
