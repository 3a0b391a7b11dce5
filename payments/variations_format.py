"""The "variations" section of the programme definition (sib.programme_format).

    "variations": [
      {"kind": "price_change", "effective_date": "2026-07-01", "metric": "training",
       "price": 100000, "reason": "Price agreed at the mid-term review"},
      {"kind": "pause", "effective_date": "2027-01-01", "reason": "Site closed for works"},
      {"kind": "resume", "effective_date": "2027-03-01", "reason": "Works finished"},
      {"kind": "cohort_removed", "effective_date": "2028-01-01", "cohort": "c3",
       "reason": "Third cohort withdrawn by the payers"},
      {"kind": "grant_payments", "effective_date": "2028-03-01", "periods": ["2028-H1"],
       "amount": 5000000, "reason": "Fixed grant while sites are closed"},
      {"kind": "early_redemption", "effective_date": "2029-06-30",
       "reason": "Investors redeemed at the year-4 review"}
    ]

The contract variations of a running programme (payments.variations), in effective-date
order, each recorded by `programme_vary` after the history is loaded and before the final
status is applied: so only a programme whose status is not draft has any.
"""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from payments.models import ProgrammeVariation
from payments.variations import PARAMETERS, programme_vary
from sib.models import Programme, ProgrammeStatus
from sib.programme_format import LoadContext, Section, section_register

SECTION = "variations"
Errors = list[tuple[str, str]]
# Kind, fields per kind, dates and the reason are the format's JSON Schema; these checks
# keep what needs the programme section: its dates and status, and the order.


def validate_variations(data: Any, document: dict[str, Any]) -> Errors:
    errors: Errors = []
    found = document.get("programme")
    programme: dict[str, Any] = found if isinstance(found, dict) else {}
    if data and programme.get("status", ProgrammeStatus.DRAFT) == ProgrammeStatus.DRAFT:
        errors.append((SECTION, _("only a programme that is not a draft has variations")))
    start, end = (_date(programme.get(k)) for k in ("start_date", "end_date"))
    last: date | None = None
    for i, item in enumerate(data if isinstance(data, list) else []):
        on = _date(item.get("effective_date")) if isinstance(item, dict) else None
        if on is None:
            continue
        path = f"{SECTION}[{i}].effective_date"
        if start and end and not start <= on <= end:
            errors.append((path, _("must fall within the programme's dates")))
        elif last is not None and on < last:
            errors.append((path, _("must not come before the previous variation's")))
        last = on
    return errors


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def load_variations(data: list[dict[str, Any]], context: LoadContext) -> None:
    for i, item in enumerate(data):
        kind = item["kind"]
        try:
            programme_vary(
                programme=context.programme,
                kind=kind,
                effective_date=date.fromisoformat(item["effective_date"]),
                reason=item["reason"],
                parameters={k: item[k] for k in sorted(PARAMETERS.get(kind, ())) if k in item},
            )
        except ValidationError as exc:
            raise ValidationError(
                {
                    f"{SECTION}[{i}].{key.removeprefix('parameters.')}": messages
                    for key, messages in exc.message_dict.items()
                }
            ) from exc


def dump_variations(programme: Programme) -> list[dict[str, Any]] | None:
    rows = ProgrammeVariation.objects.filter(programme=programme).order_by("effective_date", "id")
    out = [
        {
            "kind": row.kind,
            "effective_date": row.effective_date.isoformat(),
            **row.parameters,
            "reason": row.reason,
        }
        for row in rows
    ]
    return out or None


def register() -> None:
    section_register(Section(SECTION, 92, validate_variations, load_variations, dump_variations))
