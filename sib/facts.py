"""The descriptive facts of a programme (the `facts` section of docs/programme-format.md):
the service that writes them and the selectors that read them.

Facts are what a funder or a researcher expects to know about a deal (its country and
places, its sector, its sources, its dates as far as they are known, who plays which
part, the investors' terms as published) and what no rule of the ledger computes with.
They are kept apart from the contract's terms: changing them never versions the contract.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sib.models import Organisation, Programme, ProgrammeFacts
from sib.programme_format.schema import facts_errors

# Where the facts name an organisation, by its slug: (list, field).
ORGANISATION_REFERENCES = (
    ("organisation_roles", "organisation"),
    ("service_contracts", "provider"),
    ("investor_terms", "investor"),
)


def facts_organisation_slugs(facts: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (JSON path, slug) for every organisation the facts name, in document order."""
    found = []
    for key, field in ORGANISATION_REFERENCES:
        for i, item in enumerate(facts.get(key) or []):
            if isinstance(item, dict) and isinstance(item.get(field), str):
                found.append((f"facts.{key}[{i}].{field}", item[field]))
    return found


@transaction.atomic
def programme_facts_set(*, programme: Programme, facts: dict[str, Any]) -> ProgrammeFacts:
    """Replace the programme's facts with `facts`, checked against the format's schema.

    Every organisation they name must exist; an empty document clears them.
    """
    errors = facts_errors(facts)
    if not errors:
        slugs = facts_organisation_slugs(facts)
        known = set(
            Organisation.objects.filter(slug__in={s for _p, s in slugs}).values_list(
                "slug", flat=True
            )
        )
        errors = [
            (path, _("unknown organisation %(slug)r") % {"slug": slug})
            for path, slug in slugs
            if slug not in known
        ]
    if errors:
        raise ValidationError({path: [message] for path, message in errors})
    row, _created = ProgrammeFacts.objects.update_or_create(
        programme=programme, defaults={"data": facts}
    )
    return row


def programme_facts(*, programme: Programme) -> dict[str, Any]:
    """Return the programme's facts, an empty document when none are recorded."""
    row = ProgrammeFacts.objects.filter(programme=programme).first()
    return dict(row.data) if row is not None else {}
