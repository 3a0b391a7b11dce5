"""Reads for the bond itself."""

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from sib.chain import GENESIS, chain_head
from sib.models import (
    ChainEntry,
    Membership,
    Organisation,
    PartyRole,
    Programme,
    ProgrammeParty,
    User,
)
from sib.permissions import Action
from sib.scoping import ProgrammeAccess, programmes_for_user


def programme_list(*, user: User) -> QuerySet[Programme]:
    """Return the user's programmes, each with its chain head (`chain_head_hash`).

    The head comes in the same query (one index probe per programme on (programme, seq)),
    not one query per programme.
    """
    last_entry = ChainEntry.objects.filter(programme_id=OuterRef("pk")).order_by("-seq")
    return (
        programmes_for_user(user)
        .annotate(chain_head_hash=Subquery(last_entry.values("hash")[:1]))
        .order_by("name")
    )


def programme_parties(*, programme: Programme) -> QuerySet[ProgrammeParty]:
    return programme.parties.select_related("organisation").order_by("role", "organisation__name")


def programme_parties_visible(*, access: ProgrammeAccess) -> QuerySet[ProgrammeParty]:
    """Return the parties this user may see: investors are named only to those who may see
    every position (an investor must not learn who the other investors are)."""
    parties = programme_parties(programme=access.programme)
    if not access.allows(Action.COMMITMENT_VIEW_ALL):
        parties = parties.exclude(role=PartyRole.INVESTOR)
    return parties


def programme_memberships(*, programme: Programme) -> QuerySet[Membership]:
    return programme.memberships.select_related("user", "organisation", "programme").order_by(
        "role", "user"
    )


def programme_chain_head(*, programme: Programme) -> str:
    if hasattr(programme, "chain_head_hash"):  # annotated by programme_list
        return programme.chain_head_hash or GENESIS
    return chain_head(programme_id=programme.pk)


def organisation_list() -> QuerySet[Organisation]:
    return Organisation.objects.order_by("name")


def programme_membership(*, programme: Programme, membership_id: int) -> Membership:
    """Return one membership of the programme, or raise Http404 (another's is not found)."""
    membership = (
        programme.memberships.select_related("user", "organisation", "programme")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise Http404
    return membership
