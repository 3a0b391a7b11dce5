"""Writes for the bond itself: organisations, programmes, parties, memberships, lifecycle."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sib.models import (
    Membership,
    Organisation,
    PartyRole,
    Programme,
    ProgrammeParty,
    ProgrammeStatus,
    Role,
    User,
)
from sib.money import CURRENCY_EXPONENTS

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


def organisation_create(*, name: str, slug: str, kinds: list[str]) -> Organisation:
    if not kinds:
        raise ValidationError({"kinds": "Give at least one kind."})
    if Organisation.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"An organisation with slug {slug!r} exists."})
    organisation = Organisation(name=name, slug=slug, kinds=sorted(set(kinds)))
    organisation.full_clean()
    organisation.save()
    return organisation


def _validate_programme_fields(fields: dict[str, object]) -> None:
    errors: dict[str, str] = {}
    currency = fields.get("currency")
    if currency is not None and currency not in CURRENCY_EXPONENTS:
        known = ", ".join(sorted(CURRENCY_EXPONENTS))
        errors["currency"] = f"Unsupported currency {currency!r}; use one of {known}."
    start, end = fields.get("start_date"), fields.get("end_date")
    if isinstance(start, date) and isinstance(end, date) and end <= start:
        errors["end_date"] = "The end date must be after the start date."
    cap = fields.get("contract_cap")
    if isinstance(cap, int) and cap < 0:
        errors["contract_cap"] = "The contract cap cannot be negative."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def programme_create(*, creator: User, **fields: object) -> Programme:
    """Create a draft programme; its creator becomes its first fund manager."""
    _validate_programme_fields(fields)
    slug = fields.get("slug")
    if Programme.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A programme with slug {slug!r} exists."})
    programme = Programme(**fields)
    programme.full_clean()
    programme.save()
    Membership.objects.create(user=creator, programme=programme, role=Role.FUND_MANAGER)
    return programme


@transaction.atomic
def programme_update(*, programme: Programme, **fields: object) -> Programme:
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if programme.status != ProgrammeStatus.DRAFT:
        frozen = sorted(set(fields) - EDITABLE_WHEN_ACTIVE)
        if frozen:
            raise ValidationError(
                {
                    name: f"Cannot change once the programme is {programme.status}."
                    for name in frozen
                }
            )
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
) -> ProgrammeParty:
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if programme.status != ProgrammeStatus.DRAFT:
        raise ValidationError({"programme": "Parties are fixed once the programme is active."})
    kind = ORGANISATION_KIND_FOR_ROLE[PartyRole(role)]
    if kind not in organisation.kinds:
        raise ValidationError(
            {"organisation": f"{organisation.name} is not registered as {kind.replace('_', ' ')}."}
        )
    if role == PartyRole.OUTCOME_PAYER:
        if payer_share is None or not (Decimal(0) < payer_share <= 100):
            raise ValidationError({"payer_share": "An outcome payer needs a share in (0, 100]."})
        others = sum(
            (p.payer_share or Decimal(0))
            for p in programme.parties.filter(role=PartyRole.OUTCOME_PAYER)
        )
        if others + payer_share > 100:
            raise ValidationError(
                {"payer_share": f"Payer shares would sum to {others + payer_share}%, above 100%."}
            )
    elif payer_share is not None:
        raise ValidationError({"payer_share": "Only outcome payers have a share."})
    if ProgrammeParty.objects.filter(
        programme=programme, organisation=organisation, role=role
    ).exists():
        raise ValidationError({"organisation": "This organisation already has this role here."})
    return ProgrammeParty.objects.create(
        programme=programme, organisation=organisation, role=role, payer_share=payer_share
    )


def payer_shares(*, programme: Programme) -> list[ProgrammeParty]:
    return list(
        programme.parties.filter(role=PartyRole.OUTCOME_PAYER)
        .select_related("organisation")
        .order_by("organisation__slug")
    )


def _transition(programme: Programme, target: str) -> Programme:
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    if target not in TRANSITIONS[locked.status]:
        raise ValidationError({"status": f"A {locked.status} programme cannot become {target}."})
    locked.status = target
    locked.status_changed_at = timezone.now()
    return locked


@transaction.atomic
def programme_activate(*, programme: Programme) -> Programme:
    """Open the programme for drawdowns and results: payers must share exactly 100%."""
    locked = _transition(programme, ProgrammeStatus.ACTIVE)
    payers = payer_shares(programme=locked)
    total = sum((p.payer_share or Decimal(0) for p in payers), Decimal(0))
    if not payers or total != 100:
        raise ValidationError(
            {"parties": f"Outcome payers' shares must sum to exactly 100% (now {total}%)."}
        )
    locked.save()
    return locked


@transaction.atomic
def programme_close(*, programme: Programme) -> Programme:
    locked = _transition(programme, ProgrammeStatus.CLOSED)
    locked.save()
    return locked


@transaction.atomic
def programme_terminate(*, programme: Programme, termination_date: date, reason: str) -> Programme:
    """Stop the contract early: results after `termination_date` do not pay."""
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the termination."})
    locked = _transition(programme, ProgrammeStatus.TERMINATED)
    if not (locked.start_date <= termination_date <= locked.end_date):
        raise ValidationError(
            {"termination_date": "The termination date must fall within the programme."}
        )
    locked.termination_date = termination_date
    locked.termination_reason = reason
    locked.save()
    return locked


def membership_add(
    *, programme: Programme, user: User, role: str, organisation: Organisation | None = None
) -> Membership:
    if role == Role.INVESTOR:
        if organisation is None:
            raise ValidationError({"organisation": "An investor member is bound to an investor."})
        if not programme.parties.filter(
            organisation=organisation, role=PartyRole.INVESTOR
        ).exists():
            raise ValidationError({"organisation": "This organisation is not an investor here."})
    if Membership.objects.filter(user=user, programme=programme, role=role).exists():
        raise ValidationError({"role": f"{user.username} is already {role} on this programme."})
    return Membership.objects.create(
        user=user, programme=programme, role=role, organisation=organisation
    )
