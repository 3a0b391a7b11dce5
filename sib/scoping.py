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

from sib.models import Membership, Organisation, Programme, Role, User
from sib.permissions import (
    GRANTED_BY,
    ROLE_FAMILY,
    ROLE_TEXTS,
    SAME_ORGANISATION_AS_GRANTOR,
    STAFF_RIGHTS,
    Action,
    role_allows,
    role_granted_by,
)


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
    # sib.services imports this module (who may grant what): a module-level import
    # would be circular.
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


def may_open_programmes(user: User) -> bool:
    """Whether the user may open a new programme (API, portal upload of a definition).

    Staff administrators, and users given the right to open new deals (Django's
    `sib.add_programme` permission, granted in the administration site). Opening a
    programme from a definition also appoints the organisations it names, which only staff
    or the definition may do (sib.permissions, PARTY_APPOINT).
    """
    return user.is_authenticated and (user.is_staff or user.has_perm("sib.add_programme"))


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
    # One query on every read: the user's memberships with their programme (and the
    # organisation an investor's statement names). The programme alone is read only when
    # the user holds no role on it: staff, or a 404 either way.
    try:
        memberships = tuple(
            Membership.objects.filter(
                user=user, **{f"programme__{key}": value for key, value in lookup.items()}
            ).select_related("programme", "organisation")
        )
        if memberships:
            programme = memberships[0].programme
        elif user.is_staff:
            programme = Programme.objects.get(**lookup)
        else:
            raise Http404
    except (Programme.DoesNotExist, ValueError):
        raise Http404 from None
    for membership in memberships:
        membership.programme = programme  # one instance, as when read on its own
    access = ProgrammeAccess(programme=programme, user=user, memberships=memberships)
    if user.is_staff and action in STAFF_RIGHTS:
        return access
    access.require(action)
    return access


def grantable_users(*, grantor: User, role: str, organisation_id: int | None) -> QuerySet[User]:
    """Return the users `grantor` may grant `role` to, bound to `organisation_id`.

    Each organisation manages its own people: staff reach every active user; anyone else
    reaches the people already holding a role of the same family (for the same
    organisation, when the role is bound to one) on a programme where they hold a role
    that grants it. A newcomer's first role is granted by staff. Everyone else does not
    exist for the grantor: the API answers the same for them as for a name nobody has.
    """
    active = User.objects.filter(is_active=True)
    if grantor.is_staff:
        return active
    managed = Membership.objects.filter(
        user=grantor, role__in=GRANTED_BY.get(role, frozenset())
    ).values("programme_id")
    people = Membership.objects.filter(
        programme_id__in=managed, role__in=ROLE_FAMILY.get(role, frozenset())
    )
    if role != Role.FUND_MANAGER:
        if organisation_id is None:
            people = people.filter(organisation__isnull=True)
        else:
            people = people.filter(organisation_id=organisation_id)
    return active.filter(pk__in=people.values("user_id"))


@dataclass(frozen=True)
class GrantScope:
    """For what a grantor grants a role: any organisation (staff), or their own only."""

    own_organisation_only: bool
    organisation: Organisation | None = None


def grant_scope(*, grantor: User, programme: Programme, role: str) -> GrantScope:
    """Return whether and for which organisation `grantor` may grant (or revoke) `role`.

    Raise PermissionDenied when their roles on the programme do not grant it
    (permissions.GRANTED_BY). A lead evaluator grants evaluator roles for their own
    evaluator organisation, a funder funder roles for their own payer (no organisation if
    theirs has none): SAME_ORGANISATION_AS_GRANTOR.
    """
    if grantor.is_staff:
        return GrantScope(own_organisation_only=False)
    granting = [
        m
        for m in Membership.objects.filter(user=grantor, programme=programme).select_related(
            "organisation"
        )
        if role_granted_by(role, frozenset({m.role}))
    ]
    if not granting:
        raise PermissionDenied(
            _("Your role on this programme does not let you grant the role of %(role)s.")
            % {"role": ROLE_TEXTS.get(role, role)}
        )
    if role in SAME_ORGANISATION_AS_GRANTOR:
        return GrantScope(own_organisation_only=True, organisation=granting[0].organisation)
    return GrantScope(own_organisation_only=False)


def may_revoke(*, actor: User, membership: Membership) -> bool:
    """Return whether `actor` may take `membership`'s role back: grant_scope's rule, the
    one sib.services.membership_revoke enforces (the portal shows "Revoke" by it)."""
    try:
        scope = grant_scope(grantor=actor, programme=membership.programme, role=membership.role)
    except PermissionDenied:
        return False
    return not scope.own_organisation_only or membership.organisation == scope.organisation
