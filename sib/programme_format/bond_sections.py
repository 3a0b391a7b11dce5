"""The bond's own sections of the programme definition: organisations, programme, parties."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from sib import services
from sib.bounds import code_error
from sib.models import (
    Membership,
    Organisation,
    OrganisationKind,
    PartyRole,
    Programme,
    ProgrammeStatus,
    Role,
    User,
)
from sib.money import CURRENCIES_IN_USE
from sib.programme_format import LoadContext, Section, section_register

Errors = list[tuple[str, str]]
PROGRAMME_FIELDS = {
    "name",
    "slug",
    "description",
    "currency",
    "start_date",
    "end_date",
    "target_population",
    "contract_cap",
    "status",
    "termination_date",
    "termination_reason",
}


def _date(value: Any, path: str, errors: Errors) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        errors.append((path, "must be a date written YYYY-MM-DD"))
        return None


def _minor_units(value: Any, path: str, errors: Errors) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.append((path, "must be a whole, non-negative number of minor units (cents)"))


def validate_organisations(data: Any, document: dict[str, Any]) -> Errors:
    if not isinstance(data, list):
        return [("organisations", "must be a list")]
    errors: Errors = []
    seen: set[str] = set()
    kinds = set(OrganisationKind.values)
    for i, item in enumerate(data):
        path = f"organisations[{i}]"
        if not isinstance(item, dict):
            errors.append((path, "must be an object"))
            continue
        for key in sorted(set(item) - {"slug", "name", "kinds"}):
            errors.append((f"{path}.{key}", "unknown field"))
        slug = item.get("slug")
        if not isinstance(slug, str) or not slug:
            errors.append((f"{path}.slug", "required"))
        elif problem := code_error(slug):
            errors.append((f"{path}.slug", problem))
        elif slug in seen:
            errors.append((f"{path}.slug", f"{slug!r} is listed twice"))
        else:
            seen.add(slug)
        if not isinstance(item.get("name"), str) or not item["name"].strip():
            errors.append((f"{path}.name", "required"))
        item_kinds = item.get("kinds")
        if not isinstance(item_kinds, list) or not item_kinds:
            errors.append((f"{path}.kinds", "give at least one kind"))
        else:
            for j, kind in enumerate(item_kinds):
                if kind not in kinds:
                    errors.append((f"{path}.kinds[{j}]", f"unknown kind {kind!r}"))
    return errors


def validate_programme(data: Any, document: dict[str, Any]) -> Errors:
    if not isinstance(data, dict):
        return [("programme", "must be an object")]
    errors: Errors = []
    for key in sorted(set(data) - PROGRAMME_FIELDS):
        errors.append((f"programme.{key}", "unknown field"))
    for key in ("name", "slug", "currency", "start_date", "end_date", "contract_cap"):
        if key not in data:
            errors.append((f"programme.{key}", "required"))
    if "name" in data and not str(data["name"] or "").strip():
        errors.append(("programme.name", _("Required: the programme's name.")))
    if isinstance(data.get("slug"), str) and (problem := code_error(data["slug"])):
        errors.append(("programme.slug", problem))
    elif "slug" in data and Programme.objects.filter(slug=data["slug"]).exists():
        errors.append(("programme.slug", f"a programme {data['slug']!r} already exists"))
    if "currency" in data and data["currency"] not in CURRENCIES_IN_USE:
        errors.append(
            (
                "programme.currency",
                f"{data['currency']!r} is not a currency in use: give its ISO 4217 code, "
                "such as EUR",
            )
        )
    start = (
        _date(data["start_date"], "programme.start_date", errors) if "start_date" in data else None
    )
    end = _date(data["end_date"], "programme.end_date", errors) if "end_date" in data else None
    if start and end and end <= start:
        errors.append(("programme.end_date", "must be after start_date"))
    if "contract_cap" in data:
        _minor_units(data["contract_cap"], "programme.contract_cap", errors)
    status = data.get("status", ProgrammeStatus.DRAFT)
    if status not in ProgrammeStatus.values:
        errors.append(("programme.status", f"unknown status {status!r}"))
    if status == ProgrammeStatus.TERMINATED:
        if "termination_date" not in data:
            errors.append(("programme.termination_date", "required for a terminated programme"))
        else:
            _date(data["termination_date"], "programme.termination_date", errors)
        if not str(data.get("termination_reason", "")).strip():
            errors.append(("programme.termination_reason", "required for a terminated programme"))
    return errors


def validate_parties(data: Any, document: dict[str, Any]) -> Errors:
    if not isinstance(data, list):
        return [("parties", "must be a list")]
    errors: Errors = []
    listed = {o.get("slug") for o in document.get("organisations", []) if isinstance(o, dict)}
    roles = set(PartyRole.values)
    total = Decimal(0)
    for i, item in enumerate(data):
        path = f"parties[{i}]"
        if not isinstance(item, dict):
            errors.append((path, "must be an object"))
            continue
        for key in sorted(set(item) - {"organisation", "role", "payer_share"}):
            errors.append((f"{path}.{key}", "unknown field"))
        slug = item.get("organisation")
        if slug not in listed and not Organisation.objects.filter(slug=slug).exists():
            errors.append((f"{path}.organisation", f"unknown organisation {slug!r}"))
        role = item.get("role")
        if role not in roles:
            errors.append((f"{path}.role", f"unknown role {role!r}"))
        share = item.get("payer_share")
        if role == PartyRole.OUTCOME_PAYER:
            try:
                value = Decimal(str(share)) if isinstance(share, str) else None
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite() or not (0 < value <= 100):
                errors.append((f"{path}.payer_share", 'a percentage string in (0, 100], e.g. "70"'))
            elif services.payer_share_places(value) > services.PAYER_SHARE_PLACES:
                message = _(
                    "The share of %(party)r (%(share)s) has more than %(places)s decimal "
                    "places, the precision the ledger keeps: the column would round it."
                ) % {"party": slug, "share": share, "places": services.PAYER_SHARE_PLACES}
                errors.append((f"{path}.payer_share", message))
            else:
                total += value
        elif share is not None:
            errors.append((f"{path}.payer_share", "only outcome payers have a share"))
    status = document.get("programme", {}).get("status", "draft")
    if status != ProgrammeStatus.DRAFT and total != 100:
        errors.append(("parties", f"outcome payers' shares must sum to exactly 100 (now {total})"))
    return errors


def validate_memberships(data: Any, document: dict[str, Any]) -> Errors:
    if not isinstance(data, list):
        return [("memberships", "must be a list")]
    errors: Errors = []
    items = [item for item in data if isinstance(item, dict)]
    names = {item.get("user") for item in items if isinstance(item.get("user"), str)}
    users = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    parties = {
        (p.get("organisation"), p.get("role"))
        for p in document.get("parties") or []
        if isinstance(p, dict)
    }
    seen: set[tuple[Any, Any]] = set()
    for i, item in enumerate(data):
        path = f"memberships[{i}]"
        if not isinstance(item, dict):
            errors.append((path, "must be an object"))
            continue
        for key in sorted(set(item) - {"user", "role", "organisation"}):
            errors.append((f"{path}.{key}", "unknown field"))
        if item.get("user") not in users:
            errors.append((f"{path}.user", f"no user {item.get('user')!r}"))
        role = item.get("role")
        if role not in Role.values:
            errors.append((f"{path}.role", f"one of {', '.join(Role.values)}"))
        elif (item.get("user"), role) in seen:
            errors.append((path, f"{item.get('user')!r} is listed twice as {role}"))
        seen.add((item.get("user"), role))
        organisation = item.get("organisation")
        if role == Role.INVESTOR and (organisation, PartyRole.INVESTOR) not in parties:
            errors.append((f"{path}.organisation", "an investor member names an investor party"))
        elif organisation is not None and organisation not in {o for o, _ in parties}:
            errors.append((f"{path}.organisation", f"{organisation!r} is not a party"))
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
        services.programme_party_add(
            programme=context.programme,
            organisation=organisation,
            role=item["role"],
            payer_share=Decimal(share) if share is not None else None,
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
    organisations = Organisation.objects.filter(
        pk__in=programme.parties.values("organisation")
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
