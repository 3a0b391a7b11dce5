"""The `facts` section of the programme definition: descriptive facts (sib.facts).

The schema (`#/$defs/facts`) says everything about their shape; what is left here is
that each organisation they name is listed in `organisations` or already known.
"""

from typing import Any

from django.utils.translation import gettext as _

from sib.facts import facts_organisation_slugs, programme_facts, programme_facts_set
from sib.models import Organisation, Programme
from sib.programme_format.loader import LoadContext, Section, section_register

Errors = list[tuple[str, str]]


def validate_facts(data: Any, document: dict[str, Any]) -> Errors:
    if not isinstance(data, dict):
        return []
    organisations = document.get("organisations")
    listed = (
        {o.get("slug") for o in (organisations or []) if isinstance(o, dict)}
        if isinstance(organisations, list)
        else set()
    )
    slugs = facts_organisation_slugs(data)
    known = set(
        Organisation.objects.filter(slug__in={s for _p, s in slugs}).values_list("slug", flat=True)
    )
    return [
        (path, _("unknown organisation %(slug)r") % {"slug": slug})
        for path, slug in slugs
        if slug not in listed and slug not in known
    ]


def load_facts(data: dict[str, Any], context: LoadContext) -> None:
    if data:
        programme_facts_set(programme=context.programme, facts=data)


def dump_facts(programme: Programme) -> dict[str, Any] | None:
    return programme_facts(programme=programme) or None


def register() -> None:
    # After the programme and its parties (2), before what the deal's terms add.
    section_register(Section("facts", 4, validate_facts, load_facts, dump_facts))
