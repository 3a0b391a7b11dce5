"""The one way to reach a programme's data: scoped to the user's memberships.

A programme the user has no role on does not exist for them (404); a role without the
right answers 403. Staff administrators see everything but get no role rights from it:
they administer, they do not verify results or move money.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from sib.models import Membership, Programme, Role, User
from sib.permissions import Action, role_allows


@dataclass(frozen=True)
class ProgrammeAccess:
    """A user's standing on one programme, with the rights their roles give."""

    programme: Programme
    user: User
    memberships: tuple[Membership, ...]

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(m.role for m in self.memberships)

    def allows(self, action: Action) -> bool:
        return any(role_allows(role, action) for role in self.roles)

    def require(self, action: Action) -> None:
        if not self.allows(action):
            raise PermissionDenied(refusal_text(action, self.roles))

    @property
    def investor_organisation_ids(self) -> frozenset[int]:
        return frozenset(
            m.organisation_id
            for m in self.memberships
            if m.role == "investor" and m.organisation_id is not None
        )


def refusal_text(action: Action, roles: frozenset[str]) -> str:
    """Say why a role was refused: the roles held and the roles the action takes."""
    from sib.services import ROLE_TEXTS

    def names(codes: list[str]) -> str:
        return ", ".join(str(ROLE_TEXTS.get(code, code)) for code in codes)

    allowed = [role for role in Role.values if role_allows(role, action)]
    held = sorted(roles)
    if not allowed:
        return _("No role on a programme allows this.")
    if not held:
        return _("Roles on the programme that may do this: %(allowed)s.") % {
            "allowed": names(allowed)
        }
    return _(
        "Your role on this programme (%(held)s) does not allow this. Roles that may: %(allowed)s."
    ) % {"held": names(held), "allowed": names(allowed)}


def programmes_for_user(user: User) -> QuerySet[Programme]:
    """Return the programmes a user has any role on (all of them for staff)."""
    if not user.is_authenticated:
        return Programme.objects.none()
    if user.is_staff:
        return Programme.objects.all()
    return Programme.objects.filter(memberships__user=user).distinct()


def programme_access(
    *,
    user: User,
    programme_id: int | None = None,
    slug: str | None = None,
    action: Action = Action.PROGRAMME_VIEW,
) -> ProgrammeAccess:
    """Return the user's access to one programme, or raise Http404 / PermissionDenied."""
    if not user.is_authenticated:
        raise Http404
    lookup = {"id": programme_id} if programme_id is not None else {"slug": slug}
    try:
        programme = Programme.objects.get(**lookup)
    except (Programme.DoesNotExist, ValueError):
        raise Http404 from None
    memberships = tuple(Membership.objects.filter(user=user, programme=programme))
    if not memberships and not user.is_staff:
        raise Http404
    access = ProgrammeAccess(programme=programme, user=user, memberships=memberships)
    if user.is_staff and action == Action.PROGRAMME_VIEW:
        return access
    access.require(action)
    return access
