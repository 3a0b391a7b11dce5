"""The bond's own sections of the programme definition: organisations, programme, parties,
memberships, and the steps that apply the programme's status."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from sib import services
from sib.bounds import code_error
from sib.facts import facts_organisation_slugs, programme_facts
from sib.models import (
    Membership,
    Organisation,
    PartyRole,
    Programme,
    ProgrammeStatus,
    Role,
    User,
)
from sib.money import CURRENCIES_IN_USE
from sib.programme_format.loader import LoadContext, Section, section_register

Errors = list[tuple[str, str]]

# Types, required fields, choices and lengths are the format's JSON Schema
# (docs/programme-format.schema.json), checked before these validators, which keep what
# the schema cannot say: unique slugs, a slug free in the database, dates in order, a
# currency in use. They still run on a section the schema refused, to list every error at
# once, so they read each value as possibly malformed.


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def validate_organisations(data: Any, document: dict[str, Any]) -> Errors:
    errors: Errors = []
    seen: set[str] = set()
    for i, item in enumerate(data if isinstance(data, list) else []):
        slug = item.get("slug") if isinstance(item, dict) else None
        if not isinstance(slug, str):
            continue
        if problem := code_error(slug):
            errors.append((f"organisations[{i}].slug", problem))
        elif slug in seen:
            message = _("%(slug)r is listed twice") % {"slug": slug}
            errors.append((f"organisations[{i}].slug", message))
        seen.add(slug)
    return errors


def validate_programme(data: Any, document: dict[str, Any]) -> Errors:
    if not isinstance(data, dict):
        return []
    errors: Errors = []
    slug = data.get("slug")
    if isinstance(slug, str) and (problem := code_error(slug)):
        errors.append(("programme.slug", problem))
    elif isinstance(slug, str) and Programme.objects.filter(slug=slug).exists():
        message = _("a programme %(slug)r already exists") % {"slug": slug}
        errors.append(("programme.slug", message))
    currency = data.get("currency")
    if isinstance(currency, str) and currency not in CURRENCIES_IN_USE:
        message = _("%(code)r is not a currency in use: give its ISO 4217 code, such as EUR") % {
            "code": currency
        }
        errors.append(("programme.currency", message))
    start, end = _date(data.get("start_date")), _date(data.get("end_date"))
    if start and end and end <= start:
        errors.append(("programme.end_date", _("must be after start_date")))
    return errors


def validate_parties(data: Any, document: dict[str, Any]) -> Errors:
    errors: Errors = []
    organisations = document.get("organisations")
    listed = {
        o["slug"]
        for o in (organisations if isinstance(organisations, list) else [])
        if isinstance(o, dict) and isinstance(o.get("slug"), str)
    }
    total = Decimal(0)
    residual: list[str] = []
    for i, item in enumerate(data if isinstance(data, list) else []):
        path = f"parties[{i}]"
        if not isinstance(item, dict):
            continue
        slug = item.get("organisation")
        if not isinstance(slug, str):
            continue
        if slug not in listed and not Organisation.objects.filter(slug=slug).exists():
            message = _("unknown organisation %(slug)r") % {"slug": slug}
            errors.append((f"{path}.organisation", message))
        role = item.get("role")
        share = item.get("payer_share")
        if item.get("payer_cap") is not None and role != PartyRole.OUTCOME_PAYER:
            errors.append((f"{path}.payer_cap", _("only outcome payers have a cap")))
        if role == PartyRole.OUTCOME_PAYER and share is None and "payer_shares" in document:
            # A payer that pays only where a payer split names it: the payer_shares
            # section's rules (payments.payer_splits) check that one does.
            continue
        if role == PartyRole.OUTCOME_PAYER and share == services.PAYER_SHARE_REST:
            # The residual (top-up) payer: it pays what the fixed shares leave.
            if residual:
                message = _(
                    "%(party)r pays the rest, but %(other)r already does: one payer at most "
                    "pays the rest."
                ) % {"party": slug, "other": residual[0]}
                errors.append((f"{path}.payer_share", message))
            residual.append(slug)
            continue
        if role == PartyRole.OUTCOME_PAYER:
            value, error = _payer_share(slug, share)
            if error:
                errors.append((f"{path}.payer_share", error))
            total += value
        elif share is not None:
            errors.append((f"{path}.payer_share", _("only outcome payers have a share")))
    status = document.get("programme", {}).get("status", "draft")
    if residual and total >= 100:
        message = _(
            "The fixed shares sum to %(total)s, not below 100: %(party)r would have no rest to pay."
        ) % {"total": total, "party": residual[0]}
        errors.append(("parties", message))
    elif not residual and status != ProgrammeStatus.DRAFT and total != 100:
        message = _("outcome payers' shares must sum to exactly 100 (now %(total)s)") % {
            "total": total
        }
        errors.append(("parties", message))
    return errors


def _payer_share(slug: str, share: Any) -> tuple[Decimal, str | None]:
    """Return an outcome payer's fixed share (0 when refused) and the refusal, if any."""
    try:
        value = Decimal(str(share)) if isinstance(share, str) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not (0 < value <= 100):
        return Decimal(0), _('a percentage string in (0, 100], e.g. "70", or "rest"')
    if services.payer_share_places(value) > services.PAYER_SHARE_PLACES:
        message = _(
            "The share of %(party)r (%(share)s) has more than %(places)s decimal "
            "places, the precision the ledger keeps: the column would round it."
        ) % {"party": slug, "share": share, "places": services.PAYER_SHARE_PLACES}
        return Decimal(0), message
    return value, None


def validate_memberships(data: Any, document: dict[str, Any]) -> Errors:
    errors: Errors = []
    items = [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []
    names = {item.get("user") for item in items if isinstance(item.get("user"), str)}
    users = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    parties = {
        (p.get("organisation"), p.get("role"))
        for p in document.get("parties") or []
        if isinstance(p, dict)
    }
    seen: set[tuple[Any, Any]] = set()
    for i, item in enumerate(data if isinstance(data, list) else []):
        path = f"memberships[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("user"), str):
            continue
        if item.get("user") not in users:
            errors.append((f"{path}.user", _("no user %(user)r") % {"user": item.get("user")}))
        role = item.get("role")
        if (item.get("user"), role) in seen:
            message = _("%(user)r is listed twice as %(role)s") % {
                "user": item.get("user"),
                "role": role,
            }
            errors.append((path, message))
        seen.add((item.get("user"), role))
        organisation = item.get("organisation")
        if role == Role.INVESTOR and (organisation, PartyRole.INVESTOR) not in parties:
            message = _("an investor member names an investor party")
            errors.append((f"{path}.organisation", message))
        elif organisation is not None and organisation not in {o for o, _ in parties}:
            message = _("%(organisation)r is not a party") % {"organisation": organisation}
            errors.append((f"{path}.organisation", message))
    return errors


def load_memberships(data: list[dict[str, Any]], context: LoadContext) -> None:
    programme = context.programme
    for item in data:
        user = User.objects.get(username=item["user"])
        if Membership.objects.filter(user=user, programme=programme, role=item["role"]).exists():
            continue  # the loading manager, made fund manager with the programme
        slug = item.get("organisation")
        services.membership_add(
            programme=programme,
            user=user,
            role=item["role"],
            organisation=Organisation.objects.get(slug=slug) if slug else None,
        )


def dump_memberships(programme: Programme) -> list[dict[str, Any]] | None:
    # The fund manager is whoever loads the document (programme_load --manager).
    rows = (
        Membership.objects.filter(programme=programme)
        .exclude(role=Role.FUND_MANAGER)
        .select_related("user", "organisation")
        .order_by("role", "user__username")
    )
    out = []
    for membership in rows:
        item: dict[str, Any] = {"user": membership.user.username, "role": membership.role}
        if membership.organisation is not None:
            item["organisation"] = membership.organisation.slug
        out.append(item)
    return out or None


def load_organisations(data: list[dict[str, Any]], context: LoadContext) -> None:
    for item in data:
        organisation = Organisation.objects.filter(slug=item["slug"]).first()
        if organisation is None:
            organisation = services.organisation_create(
                name=item["name"], slug=item["slug"], kinds=item["kinds"]
            )
        elif not set(item["kinds"]) <= set(organisation.kinds):
            organisation.kinds = sorted(set(organisation.kinds) | set(item["kinds"]))
            organisation.save(update_fields=["kinds"])
        context.organisations[organisation.slug] = organisation


def load_programme(data: dict[str, Any], context: LoadContext) -> None:
    fields = {
        k: v
        for k, v in data.items()
        if k not in {"status", "termination_date", "termination_reason"}
    }
    for key in ("start_date", "end_date"):
        fields[key] = date.fromisoformat(fields[key])
    context.programme = services.programme_create(creator=context.extra["creator"], **fields)
    context.extra["programme_document"] = data


def load_parties(data: list[dict[str, Any]], context: LoadContext) -> None:
    for item in data:
        organisation = context.organisations.get(item["organisation"]) or Organisation.objects.get(
            slug=item["organisation"]
        )
        share = item.get("payer_share")
        residual = share == services.PAYER_SHARE_REST
        services.programme_party_add(
            programme=context.programme,
            organisation=organisation,
            role=item["role"],
            payer_share=Decimal(share) if share is not None and not residual else None,
            payer_cap=item.get("payer_cap"),
            payer_residual=residual,
        )


def load_activation(_data: Any, context: LoadContext) -> None:
    # Activate before history is loaded: drawdowns and results need an open programme.
    status = context.extra["programme_document"].get("status", ProgrammeStatus.DRAFT)
    if status != ProgrammeStatus.DRAFT:
        context.programme = services.programme_activate(programme=context.programme)


def load_final_status(_data: Any, context: LoadContext) -> None:
    document = context.extra["programme_document"]
    status = document.get("status", ProgrammeStatus.DRAFT)
    if status == ProgrammeStatus.CLOSED:
        context.programme = services.programme_close(programme=context.programme)
    elif status == ProgrammeStatus.TERMINATED:
        context.programme = services.programme_terminate(
            programme=context.programme,
            termination_date=date.fromisoformat(document["termination_date"]),
            reason=document["termination_reason"],
        )


def dump_organisations(programme: Programme) -> list[dict[str, Any]]:
    # The parties' organisations, and those only the facts name (an outcome payer whose
    # share is not known yet is no party, but its role is a fact).
    named = {slug for _path, slug in facts_organisation_slugs(programme_facts(programme=programme))}
    organisations = Organisation.objects.filter(
        Q(pk__in=programme.parties.values("organisation")) | Q(slug__in=named)
    ).order_by("slug")
    return [{"slug": o.slug, "name": o.name, "kinds": sorted(o.kinds)} for o in organisations]


def dump_programme(programme: Programme) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": programme.name,
        "slug": programme.slug,
        "description": programme.description,
        "currency": programme.currency,
        "start_date": programme.start_date.isoformat(),
        "end_date": programme.end_date.isoformat(),
        "target_population": programme.target_population,
        "contract_cap": programme.contract_cap,
        "status": programme.status,
    }
    if programme.termination_date:
        data["termination_date"] = programme.termination_date.isoformat()
        data["termination_reason"] = programme.termination_reason
    return data


def dump_parties(programme: Programme) -> list[dict[str, Any]]:
    out = []
    for party in programme.parties.select_related("organisation").order_by(
        "role", "organisation__slug"
    ):
        item: dict[str, Any] = {"organisation": party.organisation.slug, "role": party.role}
        if party.payer_share is not None:
            item["payer_share"] = format(party.payer_share.normalize(), "f")
        elif party.payer_residual:
            item["payer_share"] = services.PAYER_SHARE_REST
        if party.payer_cap is not None:
            item["payer_cap"] = party.payer_cap
        out.append(item)
    return out


def _nothing(_programme: Programme) -> None:
    return None


def _no_errors(_data: Any, _document: dict[str, Any]) -> Errors:
    return []


def register() -> None:
    section_register(
        Section("organisations", 0, validate_organisations, load_organisations, dump_organisations)
    )
    section_register(Section("programme", 1, validate_programme, load_programme, dump_programme))
    section_register(Section("parties", 2, validate_parties, load_parties, dump_parties))
    section_register(
        Section("memberships", 3, validate_memberships, load_memberships, dump_memberships)
    )
    section_register(
        Section("_activation", 80, _no_errors, load_activation, _nothing, always_load=True)
    )
    section_register(
        Section("_final_status", 95, _no_errors, load_final_status, _nothing, always_load=True)
    )
