"""Writes for the bond itself: organisations, programmes, parties, memberships, lifecycle."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from sib.clock import today
from sib.db.refusals import database_rule
from sib.models import (
    Membership,
    Organisation,
    PartyRole,
    Programme,
    ProgrammeParty,
    ProgrammeStatus,
    Role,
    RoleChange,
    RoleChangeKind,
    User,
)
from sib.money import CURRENCIES_IN_USE
from sib.party_shares import PAYER_SHARE_PLACES as PAYER_SHARE_PLACES
from sib.party_shares import PAYER_SHARE_REST as PAYER_SHARE_REST
from sib.party_shares import payer_share_check, payer_shares_total_check
from sib.party_shares import payer_share_places as payer_share_places
from sib.permissions import ROLE_TEXTS, roles_conflicting
from sib.role_changes import role_change_chain
from sib.scoping import grant_scope, grantable_users, may_revoke
from sib.signals import programme_terms_changed
from sib.user_text import user_text

# Legal lifecycle moves; anything else is refused (DOMAIN.md: early termination).
TRANSITIONS: dict[str, frozenset[str]] = {
    ProgrammeStatus.DRAFT: frozenset({ProgrammeStatus.ACTIVE, ProgrammeStatus.TERMINATED}),
    ProgrammeStatus.ACTIVE: frozenset({ProgrammeStatus.CLOSED, ProgrammeStatus.TERMINATED}),
    ProgrammeStatus.CLOSED: frozenset(),
    ProgrammeStatus.TERMINATED: frozenset(),
}
# Fields a fund manager may change once the programme is active: the deal itself is fixed.
EDITABLE_WHEN_ACTIVE = frozenset({"name", "description", "target_population"})
ORGANISATION_KIND_FOR_ROLE = {
    PartyRole.OUTCOME_PAYER: "outcome_payer",
    PartyRole.SERVICE_PROVIDER: "service_provider",
    PartyRole.EVALUATOR: "evaluator",
    PartyRole.INTERMEDIARY: "intermediary",
    PartyRole.INVESTOR: "investor",
}
# The codes as they read inside a sentence ("the programme is closed"), translated; the
# API keeps the codes themselves in its fields.
PROGRAMME_STATUS_TEXTS: dict[str, Promise] = {
    ProgrammeStatus.DRAFT: pgettext_lazy("programme status in a sentence", "draft"),
    ProgrammeStatus.ACTIVE: pgettext_lazy("programme status in a sentence", "active"),
    ProgrammeStatus.CLOSED: pgettext_lazy("programme status in a sentence", "closed"),
    ProgrammeStatus.TERMINATED: pgettext_lazy("programme status in a sentence", "terminated"),
}
ORGANISATION_KIND_TEXTS: dict[str, Promise] = {
    "outcome_payer": pgettext_lazy("organisation kind in a sentence", "outcome payer"),
    "service_provider": pgettext_lazy("organisation kind in a sentence", "service provider"),
    "evaluator": pgettext_lazy("organisation kind in a sentence", "evaluator"),
    "intermediary": pgettext_lazy("organisation kind in a sentence", "intermediary"),
    "investor": pgettext_lazy("organisation kind in a sentence", "investor"),
}


def programme_status_text(status: str) -> str:
    """Return a programme status as it reads in a message, in the active language."""
    return str(PROGRAMME_STATUS_TEXTS.get(status, status))


def organisation_create(*, name: str, slug: str, kinds: list[str]) -> Organisation:
    if not kinds:
        raise ValidationError({"kinds": _("Give at least one kind.")})
    if Organisation.objects.filter(slug=slug).exists():
        raise ValidationError(
            {"slug": _("An organisation with slug '%(slug)s' exists.") % {"slug": slug}}
        )
    organisation = Organisation(name=name, slug=slug, kinds=sorted(set(kinds)))
    organisation.full_clean()
    organisation.save()
    return organisation


def _validate_programme_fields(fields: dict[str, object]) -> None:
    errors: dict[str, str] = {}
    currency = fields.get("currency")
    if currency is not None and currency not in CURRENCIES_IN_USE:
        errors["currency"] = _(
            "'%(currency)s' is not a currency in use: give its ISO 4217 code, such as EUR."
        ) % {"currency": currency}
    start, end = fields.get("start_date"), fields.get("end_date")
    if isinstance(start, date) and isinstance(end, date) and end <= start:
        errors["end_date"] = _("The end date must be after the start date.")
    cap = fields.get("contract_cap")
    if isinstance(cap, int) and cap < 0:
        errors["contract_cap"] = _("The contract cap cannot be negative.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def programme_create(*, creator: User, **fields: object) -> Programme:
    """Create a draft programme; its creator becomes its first fund manager."""
    _validate_programme_fields(fields)
    slug = fields.get("slug")
    if Programme.objects.filter(slug=slug).exists():
        raise ValidationError(
            {"slug": _("A programme with slug '%(slug)s' exists.") % {"slug": slug}}
        )
    programme = Programme(**fields)
    programme.full_clean()
    programme.save()
    membership_add(programme=programme, user=creator, role=Role.FUND_MANAGER)
    return programme


@transaction.atomic
def programme_update(*, programme: Programme, **fields: object) -> Programme:
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if programme.status != ProgrammeStatus.DRAFT:
        frozen = sorted(set(fields) - EDITABLE_WHEN_ACTIVE)
        if frozen:
            message = _("Cannot change once the programme is %(status)s.") % {
                "status": programme_status_text(programme.status)
            }
            raise ValidationError({name: message for name in frozen})
    _validate_programme_fields(
        {"start_date": programme.start_date, "end_date": programme.end_date, **fields}
    )
    for name, value in fields.items():
        setattr(programme, name, value)
    programme.full_clean()
    programme.save()
    return programme


@transaction.atomic
def programme_party_add(
    *,
    programme: Programme,
    organisation: Organisation,
    role: str,
    payer_share: Decimal | None = None,
    payer_cap: int | None = None,
    payer_residual: bool = False,
) -> ProgrammeParty:
    """Add a party; an outcome payer has a share, or pays the rest (`payer_residual`),
    or pays only where a payer split names it (no share)."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if programme.status != ProgrammeStatus.DRAFT:
        raise ValidationError({"programme": _("Parties are fixed once the programme is active.")})
    kind = ORGANISATION_KIND_FOR_ROLE[PartyRole(role)]
    if kind not in organisation.kinds:
        raise ValidationError(
            {
                "organisation": _("%(organisation)s is not registered as %(kind)s.")
                % {"organisation": organisation.name, "kind": ORGANISATION_KIND_TEXTS[kind]}
            }
        )
    payer_share_check(
        programme=programme,
        organisation=organisation,
        role=role,
        payer_share=payer_share,
        payer_residual=payer_residual,
    )
    if payer_cap is not None and role != PartyRole.OUTCOME_PAYER:
        raise ValidationError({"payer_cap": _("Only outcome payers have a cap.")})
    if payer_cap is not None and payer_cap < 0:
        raise ValidationError({"payer_cap": _("A payer's cap cannot be negative.")})
    if ProgrammeParty.objects.filter(
        programme=programme, organisation=organisation, role=role
    ).exists():
        raise ValidationError({"organisation": _("This organisation already has this role here.")})
    return ProgrammeParty.objects.create(
        programme=programme,
        organisation=organisation,
        role=role,
        payer_share=payer_share,
        payer_cap=payer_cap,
        payer_residual=payer_residual,
    )


def payer_shares(*, programme: Programme) -> list[ProgrammeParty]:
    return list(
        programme.parties.filter(role=PartyRole.OUTCOME_PAYER)
        .select_related("organisation")
        .order_by("organisation__slug")
    )


def _transition_check(status: str, target: str) -> None:
    if target not in TRANSITIONS[status]:
        raise ValidationError(
            {
                "status": _("A %(status)s programme cannot become %(target)s.")
                % {"status": programme_status_text(status), "target": programme_status_text(target)}
            }
        )


def _transition(programme: Programme, target: str) -> Programme:
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    _transition_check(locked.status, target)
    locked.status = target
    locked.status_changed_at = timezone.now()
    return locked


@transaction.atomic
def programme_activate(*, programme: Programme) -> Programme:
    """Open the programme for drawdowns and results: payers must share exactly 100%, or
    less than 100% beside a payer that pays the rest."""
    locked = _transition(programme, ProgrammeStatus.ACTIVE)
    payers = payer_shares(programme=locked)
    payer_shares_total_check(payers)
    for check in ACTIVATION_CHECKS:
        check(locked)
    locked.save()
    return locked


# Rules of the terms kept by apps sib must not import (payments' payer splits), checked at
# activation under the programme's lock; each raises ValidationError. Registered from
# those apps' AppConfig.ready.
ACTIVATION_CHECKS: list[Callable[[Programme], None]] = []


@transaction.atomic
def programme_close(*, programme: Programme) -> Programme:
    locked = _transition(programme, ProgrammeStatus.CLOSED)
    locked.save()
    # Closed, the actual schedule runs to the end date: a principal redemption due by
    # then falls due (payments.redemption_dues); outcome dues are restated if they move.
    programme_terms_changed.send(
        sender=Programme, programme=locked, on=today(), actor=None, cause="closure"
    )
    return locked


def termination_check(*, programme: Programme, termination_date: date, reason: str) -> None:
    """Refuse a termination the contract does not allow (the portal checks it before it
    shows the figures; programme_terminate checks it again under the lock)."""
    reason = user_text(reason, field="reason")
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the termination.")})
    _transition_check(programme.status, ProgrammeStatus.TERMINATED)
    if not (programme.start_date <= termination_date <= programme.end_date):
        raise ValidationError(
            {"termination_date": _("The termination date must fall within the programme.")}
        )


@transaction.atomic
def programme_terminate(*, programme: Programme, termination_date: date, reason: str) -> Programme:
    """Stop the contract early: results after `termination_date` do not pay."""
    reason = user_text(reason, field="reason")
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    termination_check(programme=locked, termination_date=termination_date, reason=reason)
    locked = _transition(locked, ProgrammeStatus.TERMINATED)
    locked.termination_date = termination_date
    locked.termination_reason = reason
    locked.save()
    # Results after the termination date stop paying: what each payer owes is restated.
    programme_terms_changed.send(
        sender=Programme,
        programme=locked,
        on=today(),
        actor=None,
        cause=f"termination on {termination_date.isoformat()}",
    )
    return locked


# The party an organisation bound to a membership must be on the programme, per role.
PARTY_ROLE_FOR_MEMBER: dict[str, str] = {
    Role.INVESTOR: PartyRole.INVESTOR,
    Role.PUBLIC_FUNDER: PartyRole.OUTCOME_PAYER,
    Role.EVALUATOR: PartyRole.EVALUATOR,
    Role.LEAD_EVALUATOR: PartyRole.EVALUATOR,
    Role.FUND_MANAGER: PartyRole.INTERMEDIARY,
}


def _check_organisation(
    *, programme: Programme, role: str, organisation: Organisation | None
) -> None:
    if role == Role.INVESTOR and organisation is None:
        raise ValidationError({"organisation": _("An investor member is bound to an investor.")})
    if organisation is None:
        return
    party_role = PARTY_ROLE_FOR_MEMBER.get(role)
    if (
        party_role is None
        or not programme.parties.filter(organisation=organisation, role=party_role).exists()
    ):
        raise ValidationError(
            {
                "organisation": _(
                    "This organisation is not a party of this programme for the role of %(role)s."
                )
                % {"role": ROLE_TEXTS.get(role, role)}
            }
        )


def _separation_of_duties_error(user: User, role: str, held: list[str]) -> ValidationError:
    return ValidationError(
        {
            "role": _(
                "Separation of duties: %(user)s is %(held)s on this programme and cannot also "
                "be %(role)s."
            )
            % {
                "user": user.username,
                "held": ", ".join(str(ROLE_TEXTS.get(r, r)) for r in held),
                "role": ROLE_TEXTS.get(role, role),
            }
        }
    )


@transaction.atomic
def membership_add(
    *,
    programme: Programme,
    user: User,
    role: str,
    organisation: Organisation | None = None,
    actor: User | None = None,
) -> Membership:
    """Grant `role` on `programme` to `user`, chained and in the audit history.

    `actor` is who grants it: staff, or a member whose role grants it (permissions.
    GRANTED_BY), whose own organisation goes with evaluator and funder roles. None is the
    programme definition or the system (seed data, a programme's creator): no check of
    rights, the separation of duties and the parties all the same.
    """
    if actor is not None:
        scope = grant_scope(grantor=actor, programme=programme, role=role)
        if scope.own_organisation_only:
            if organisation is not None and organisation != scope.organisation:
                raise PermissionDenied(_("You grant roles for your own organisation only."))
            organisation = scope.organisation
    _check_organisation(programme=programme, role=role, organisation=organisation)
    if Membership.objects.filter(user=user, programme=programme, role=role).exists():
        raise ValidationError(
            {
                "role": _("%(user)s is already %(role)s on this programme.")
                % {"user": user.username, "role": ROLE_TEXTS.get(role, role)}
            }
        )
    held = frozenset(
        Membership.objects.filter(user=user, programme=programme).values_list("role", flat=True)
    )
    conflicting = roles_conflicting(role, held)
    if conflicting:
        raise _separation_of_duties_error(user, role, conflicting)
    if role == Role.PUBLIC_FUNDER and organisation is None:
        # Unbound, a funder's dispute held every payer's share: it spoke for them all.
        raise ValidationError(
            {
                "organisation": _(
                    "A public funder member is bound to the outcome payer it speaks for."
                )
            }
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                user=user, programme=programme, role=role, organisation=organisation
            )
    except IntegrityError as exc:
        # A concurrent grant won the race; the database's trigger refused this one.
        if database_rule(exc)[0] != "membership_separation_of_duties":
            raise
        held = frozenset(
            Membership.objects.filter(user=user, programme=programme).values_list("role", flat=True)
        )
        raise _separation_of_duties_error(user, role, roles_conflicting(role, held)) from exc
    _role_change_record(membership, RoleChangeKind.GRANT, actor)
    return membership


def _role_change_record(membership: Membership, change: str, actor: User | None) -> RoleChange:
    recorded = RoleChange.objects.create(
        programme=membership.programme,
        user=membership.user,
        role=membership.role,
        organisation=membership.organisation,
        change=change,
        membership_id=membership.pk,
        actor=actor,
    )
    role_change_chain(change=recorded)
    return recorded


@transaction.atomic
def membership_grant(
    *, actor: User, programme: Programme, username: str, role: str, organisation: str = ""
) -> Membership:
    """Grant a role by name, as the API does: to a user the actor may reach, nobody else.

    A user who does not exist and one the actor may not reach get the same answer, so the
    API tells nobody which usernames exist.
    """
    party = None
    if organisation:
        party = (
            ProgrammeParty.objects.filter(programme=programme, organisation__slug=organisation)
            .select_related("organisation")
            .first()
        )
        if party is None:
            raise ValidationError(
                {
                    "organisation": _("No organisation %(slug)s among this programme's parties.")
                    % {"slug": organisation}
                }
            )
    bound = party.organisation if party is not None else None
    scope = grant_scope(grantor=actor, programme=programme, role=role)
    if scope.own_organisation_only:
        bound = scope.organisation
    user = (
        grantable_users(grantor=actor, role=role, organisation_id=bound.pk if bound else None)
        .filter(username=username)
        .first()
    )
    if user is None:
        raise ValidationError(
            {
                "username": _("No user %(username)s that you may add to this programme.")
                % {"username": username}
            }
        )
    return membership_add(
        programme=programme,
        user=user,
        role=role,
        organisation=party.organisation if party is not None else None,
        actor=actor,
    )


@transaction.atomic
def membership_revoke(*, membership: Membership, actor: User | None) -> RoleChange:
    """Take a role back: the membership goes, the revocation is chained and audited."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if actor is not None:
        # grant_scope raises with the reason when the actor's roles do not grant this one.
        grant_scope(grantor=actor, programme=membership.programme, role=membership.role)
        if not may_revoke(actor=actor, membership=membership):
            raise PermissionDenied(_("You revoke roles for your own organisation only."))
    revoked = _role_change_record(membership, RoleChangeKind.REVOKE, actor)
    membership.delete()
    return revoked
