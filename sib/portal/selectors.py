"""Reads the portal pages need beyond sib.selectors, all scoped to the user."""

from dataclasses import dataclass
from decimal import Decimal

from sib.models import Membership, PartyRole, Programme, User
from sib.portal.labels import PARTY_ROLE_LABELS, ROLE_LABELS, STATUS_LABELS, label
from sib.scoping import ProgrammeAccess, may_revoke
from sib.selectors import programme_list, programme_memberships, programme_parties_visible


@dataclass(frozen=True)
class ProgrammeRow:
    programme: Programme
    status: str
    roles: list[str]


def programme_rows(*, user: User) -> list[ProgrammeRow]:
    """Return the user's programmes, each with the user's roles on it (translated)."""
    programmes = list(programme_list(user=user))
    roles: dict[int, list[str]] = {}
    memberships = Membership.objects.filter(user=user, programme__in=programmes).order_by("role")
    for programme_id, role in memberships.values_list("programme_id", "role"):
        roles.setdefault(programme_id, []).append(label(ROLE_LABELS, role))
    return [
        ProgrammeRow(p, label(STATUS_LABELS, p.status), roles.get(p.pk, [])) for p in programmes
    ]


@dataclass(frozen=True)
class PartyRow:
    name: str
    role: str
    payer_share: Decimal | None
    # An outcome payer without a programme-wide share: it pays where a payer split names it.
    pays_by_split: bool = False
    # The most the contract makes this payer owe (minor units); None: no cap. What its
    # dues use of it is on the payments pages (payments.payer_caps).
    payer_cap: int | None = None
    # The residual (top-up) payer: it pays the rest of each payment, no share of its own.
    pays_rest: bool = False


def programme_party_rows(*, access: ProgrammeAccess) -> list[PartyRow]:
    """Return the programme's parties as this user may see them (the API's rule)."""
    parties = programme_parties_visible(access=access)
    return [
        PartyRow(
            p.organisation.name,
            label(PARTY_ROLE_LABELS, p.role),
            p.payer_share,
            pays_by_split=(
                p.role == PartyRole.OUTCOME_PAYER and p.payer_share is None and not p.payer_residual
            ),
            payer_cap=p.payer_cap,
            pays_rest=p.payer_residual,
        )
        for p in parties
    ]


@dataclass(frozen=True)
class MemberRow:
    username: str
    full_name: str
    role: str
    organisation: str
    membership_id: int = 0
    # The viewer may take this role back (sib.scoping.may_revoke); never their own.
    revocable: bool = False


def programme_member_rows(*, programme: Programme, viewer: User | None = None) -> list[MemberRow]:
    return [
        MemberRow(
            m.user.username,
            m.user.get_full_name(),
            label(ROLE_LABELS, m.role),
            m.organisation.name if m.organisation else "",
            m.pk,
            viewer is not None
            and m.user_id != viewer.pk
            and may_revoke(actor=viewer, membership=m),
        )
        for m in programme_memberships(programme=programme)
    ]
