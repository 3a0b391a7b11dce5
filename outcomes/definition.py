"""The outcomes sections of the programme definition JSON: cohorts, periods, metrics.

    "cohorts": [{"code": "c1", "name": "Cohort 1", "planned_size": 100,
                 "start_date": "2026-01-05"}],
    "periods": [{"code": "2026-h1", "name": "2026 H1", "start_date": "...", "end_date": "..."}],
    "metrics": [{"code": "in-work-6m", "name": "...", "definition": "...",
                 "unit": "participant_outcome", "direction": "higher_is_better",
                 "evidence_required": "...", "target_value": "50",
                 "mechanism": {"kind": "rate_card", "price": 300000},
                 "max_count": 300, "max_amount": null,
                 "cohorts": ["c1"], "periods": ["2026-h1"]}]

Every error names its JSON path (`metrics[1].mechanism.tiers[0].amount`). Types, required
fields, units and directions, lengths and decimal strings are the format's JSON Schema
(docs/programme-format.schema.json), checked first; these validators keep what it cannot
say (codes unique, dates within the contract, a metric's cohorts and periods listed, its
mechanism's rules) and still run where it refused something, so they read every value as
possibly malformed.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from outcomes.metrics_validation import metric_mechanism_errors
from outcomes.models import Cohort, Direction, MeasurementPeriod, Metric
from sib.bounds import code_error
from sib.programme_format import LoadContext, Section, section_register

Errors = list[tuple[str, str]]


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _items(data: Any) -> list[tuple[int, dict[str, Any]]]:
    """Return (index, entry) for the entries that are objects (the schema reports others)."""
    if not isinstance(data, list):
        return []
    return [(index, item) for index, item in enumerate(data) if isinstance(item, dict)]


def _codes(document: dict[str, Any], name: str) -> set[str]:
    data = document.get(name)
    if not isinstance(data, list):
        return set()
    return {str(item.get("code")) for item in data if isinstance(item, dict)}


def _unknown(key: str, code: str) -> str:
    """A metric's cohort or period that the document does not list."""
    if key == "cohorts":
        return _("unknown cohort %(code)r") % {"code": code}
    return _("unknown period %(code)r") % {"code": code}


def _unique_code(item: dict[str, Any], path: str, seen: set[str]) -> Errors:
    code = item.get("code")
    if not isinstance(code, str):
        return []
    if problem := code_error(code):
        return [(f"{path}.code", problem)]
    if code in seen:
        return [(f"{path}.code", _("repeats %(code)r") % {"code": code})]
    seen.add(code)
    return []


def validate_cohorts(data: Any, document: dict[str, Any]) -> Errors:
    errors: Errors = []
    seen: set[str] = set()
    for index, item in _items(data):
        path = f"cohorts[{index}]"
        errors += _unique_code(item, path, seen)
        errors += _outside_contract(
            document, path, (("start_date", _date(item.get("start_date"))),)
        )
    return errors


def validate_periods(data: Any, document: dict[str, Any]) -> Errors:
    errors: Errors = []
    seen: set[str] = set()
    for index, item in _items(data):
        path = f"periods[{index}]"
        errors += _unique_code(item, path, seen)
        start, end = _date(item.get("start_date")), _date(item.get("end_date"))
        if start and end and end < start:
            errors.append((f"{path}.end_date", _("must not be before start_date")))
        errors += _outside_contract(document, path, (("start_date", start), ("end_date", end)))
    return errors


def _contract_dates(document: dict[str, Any]) -> tuple[datetime.date, datetime.date] | None:
    programme = document.get("programme")
    if not isinstance(programme, dict):
        return None
    start, end = _date(programme.get("start_date")), _date(programme.get("end_date"))
    return (start, end) if start and end else None


def _outside_contract(
    document: dict[str, Any], path: str, dates: tuple[tuple[str, datetime.date | None], ...]
) -> Errors:
    """Refuse a date outside the contract's (a period 1990-2050 in a 2026-2030 deal)."""
    contract = _contract_dates(document)
    if contract is None:
        return []  # the programme's own validator reports its dates
    errors: Errors = []
    for key, value in dates:
        if value is not None and not contract[0] <= value <= contract[1]:
            message = _(
                "%(date)s is outside the contract (%(start)s to %(end)s): a period or cohort "
                "lies within the programme's start_date and end_date."
            ) % {"date": value, "start": contract[0], "end": contract[1]}
            errors.append((f"{path}.{key}", message))
    return errors


def validate_metrics(data: Any, document: dict[str, Any]) -> Errors:
    errors: Errors = []
    seen: set[str] = set()
    cohorts, periods = _codes(document, "cohorts"), _codes(document, "periods")
    for index, item in _items(data):
        path = f"metrics[{index}]"
        errors += _unique_code(item, path, seen)
        direction = item.get("direction", Direction.HIGHER_IS_BETTER)
        own_cohorts: list[Any] = []
        for key, known in (("cohorts", cohorts), ("periods", periods)):
            codes = item.get(key)
            if not isinstance(codes, list):
                continue
            if key == "cohorts":
                own_cohorts = codes
            for position, code in enumerate(codes):
                if isinstance(code, str) and code not in known:
                    errors.append((f"{path}.{key}[{position}]", _unknown(key, code)))
        errors += [
            (f"{path}.{sub}" if sub else path, message)
            for sub, message in metric_mechanism_errors(
                code=str(item.get("code", "")),
                mechanism=item.get("mechanism"),
                max_count=item.get("max_count"),
                max_amount=item.get("max_amount"),
                direction=direction if direction in Direction.values else None,
                cohort_codes=[c for c in own_cohorts if isinstance(c, str)],
            )
        ]
    return errors


def load_cohorts(data: Any, context: LoadContext) -> None:
    for item in data:
        Cohort.objects.create(
            programme=context.programme,
            code=item["code"],
            name=item["name"],
            planned_size=item.get("planned_size"),
            start_date=_date(item.get("start_date")),
        )


def load_periods(data: Any, context: LoadContext) -> None:
    for item in data:
        MeasurementPeriod.objects.create(
            programme=context.programme,
            code=item["code"],
            name=item["name"],
            start_date=datetime.date.fromisoformat(item["start_date"]),
            end_date=datetime.date.fromisoformat(item["end_date"]),
        )


def load_metrics(data: Any, context: LoadContext) -> None:
    cohorts = {c.code: c for c in Cohort.objects.filter(programme=context.programme)}
    periods = {p.code: p for p in MeasurementPeriod.objects.filter(programme=context.programme)}
    for item in data:
        target = item.get("target_value")
        metric = Metric.objects.create(
            programme=context.programme,
            code=item["code"],
            name=item["name"],
            definition=item["definition"],
            unit=item["unit"],
            direction=item.get("direction", Direction.HIGHER_IS_BETTER),
            evidence_required=item.get("evidence_required", ""),
            mechanism=item["mechanism"],
            max_count=item.get("max_count"),
            max_amount=item.get("max_amount"),
            target_value=None if target is None else Decimal(str(target)),
        )
        metric.cohorts.set([cohorts[code] for code in item["cohorts"]])
        metric.periods.set([periods[code] for code in item["periods"]])


def dump_cohorts(programme: Any) -> Any:
    rows = Cohort.objects.filter(programme=programme).order_by("code")
    return [
        {
            "code": c.code,
            "name": c.name,
            "planned_size": c.planned_size,
            "start_date": c.start_date.isoformat() if c.start_date else None,
        }
        for c in rows
    ] or None


def dump_periods(programme: Any) -> Any:
    rows = MeasurementPeriod.objects.filter(programme=programme).order_by("start_date", "code")
    return [
        {
            "code": p.code,
            "name": p.name,
            "start_date": p.start_date.isoformat(),
            "end_date": p.end_date.isoformat(),
        }
        for p in rows
    ] or None


def dump_metrics(programme: Any) -> Any:
    rows = Metric.objects.filter(programme=programme).order_by("code")
    return [
        {
            "code": m.code,
            "name": m.name,
            "definition": m.definition,
            "unit": m.unit,
            "direction": m.direction,
            "evidence_required": m.evidence_required,
            "target_value": None if m.target_value is None else f"{m.target_value.normalize():f}",
            "mechanism": m.mechanism,
            "max_count": m.max_count,
            "max_amount": m.max_amount,
            "cohorts": sorted(c.code for c in m.cohorts.all()),
            "periods": sorted(p.code for p in m.periods.all()),
        }
        for m in rows.prefetch_related("cohorts", "periods")
    ] or None


def register() -> None:
    # After the programme and its parties (orders 0-2), before activation (80).
    section_register(Section("cohorts", 10, validate_cohorts, load_cohorts, dump_cohorts))
    section_register(Section("periods", 11, validate_periods, load_periods, dump_periods))
    section_register(Section("metrics", 12, validate_metrics, load_metrics, dump_metrics))
