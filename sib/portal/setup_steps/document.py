"""The definition the guided setup builds: kept in the session, in the format's own shape.

Each step turns its forms into one section of the programme definition document
(docs/programme-format.md) and back; `step_errors` runs the format's validation
(`programme_definition_errors`, what the loader runs before it writes) on the document
with that section in place, and `attach` puts each error beside the field it names, by
its JSON path. An error no field carries is listed with its path above the forms.
"""

import datetime
import re
from typing import Any

from django import forms
from django.contrib.sessions.backends.base import SessionBase
from django.utils.translation import gettext as _

from sib.money import from_minor
from sib.programme_format import FORMAT_NAME, FORMAT_VERSION, programme_definition_errors

SESSION_KEY = "programme_setup"
# The roles that are one organisation each on the parties step, in the parties' order.
SINGLE_ROLES = ("intermediary", "service_provider", "evaluator")

Errors = list[tuple[str, str]]
# JSON path of an item (or a section) -> the form that shows it, and the field that takes
# every error of the item (None: the field the path names).
Owners = dict[str, tuple[forms.Form, str | None]]


def draft(session: SessionBase) -> dict[str, Any]:
    """Return the definition built so far (the envelope alone at first)."""
    document = session.get(SESSION_KEY)
    if isinstance(document, dict):
        return document
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION}


def draft_save(session: SessionBase, document: dict[str, Any]) -> None:
    session[SESSION_KEY] = document


def draft_clear(session: SessionBase) -> None:
    session.pop(SESSION_KEY, None)


def currency_of(document: dict[str, Any]) -> str:
    return str((document.get("programme") or {}).get("currency") or "EUR")


def major(minor: Any, currency: str) -> Any:
    """Return an amount in minor units as a form shows it (major units), or None."""
    return from_minor(minor, currency) if isinstance(minor, int) else None


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def step_errors(document: dict[str, Any], *names: str) -> Errors:
    """Return the format's errors in the sections `names` of `document`."""
    return [
        (path, message)
        for path, message in programme_definition_errors(document)
        if path == ""
        or any(path == name or path.startswith((f"{name}.", f"{name}[")) for name in names)
    ]


_TAIL = re.compile(r"\[\d+\]")


def _field_of(form: forms.Form, rest: str) -> str | None:
    """Return the form's field a path's rest names ("mechanism.price" -> "price")."""
    plain = _TAIL.sub("", rest)
    parts = [part for part in plain.split(".") if part]
    for name in (plain, plain.replace(".", "_"), *(parts[-1:]), *(parts[:1])):
        if name in form.fields:
            return name
    return None


def attach(errors: Errors, owners: Owners) -> Errors:
    """Put each error on the field of the form that shows its path; return the others."""
    left: Errors = []
    for path, message in errors:
        prefix = path
        while prefix and prefix not in owners:
            prefix = prefix[: max(prefix.rfind("."), prefix.rfind("["), 0)]
        if not prefix:
            left.append((path, message))
            continue
        form, field = owners[prefix]
        name = field or _field_of(form, path[len(prefix) :].lstrip("."))
        if name is None:
            form.add_error(None, f"{path}: {message}")
        elif name not in form.errors:
            form.add_error(name, message)
    return left


def rows(formset: Any) -> list[forms.Form]:
    """Return the formset's filled, valid rows, in order (a waterfall's by its ORDER)."""
    filled = [
        form
        for form in formset.forms
        if form.has_changed() and form.is_valid() and not form.cleaned_data.get("DELETE")
    ]
    if formset.can_order:
        filled.sort(key=lambda form: form.cleaned_data.get("ORDER") or 10**6)
    return filled


def programme_section(data: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    section = {
        **before,
        "name": data["name"],
        "slug": data["slug"],
        "currency": data["currency"].upper(),
        "start_date": iso(data["start_date"]),
        "end_date": iso(data["end_date"]),
        "contract_cap": data["contract_cap"],
    }
    section.pop("description", None)
    if data.get("description"):
        section["description"] = data["description"]
    return section


def programme_initial(document: dict[str, Any]) -> dict[str, Any]:
    section = dict(document.get("programme") or {})
    currency = currency_of(document)
    section["contract_cap"] = major(section.get("contract_cap"), currency)
    for key in ("start_date", "end_date"):
        section[key] = _date(section.get(key))
    return section


def parties_section(
    payers: list[forms.Form], roles: forms.Form
) -> tuple[list[dict[str, Any]], Owners]:
    """Return the parties (payers first, then the other roles) and the forms that show them."""
    parties: list[dict[str, Any]] = []
    owners: Owners = {"parties": (roles, None)}
    for form in payers:
        owners[f"parties[{len(parties)}]"] = (form, None)
        parties.append(
            {
                "organisation": form.cleaned_data["organisation"],
                "role": "outcome_payer",
                "payer_share": form.cleaned_data["payer_share"].strip(),
            }
        )
    if roles.is_valid():
        chosen = [(role, roles.cleaned_data[role]) for role in SINGLE_ROLES]
        chosen += [("investors", slug) for slug in roles.cleaned_data["investors"]]
        for field, slug in chosen:
            if slug:
                owners[f"parties[{len(parties)}]"] = (roles, field)
                role = "investor" if field == "investors" else field
                parties.append({"organisation": slug, "role": role})
    return parties, owners


def parties_initial(document: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    payers: list[dict[str, Any]] = []
    roles: dict[str, Any] = {"investors": []}
    for party in document.get("parties") or []:
        if party["role"] == "outcome_payer":
            payers.append(
                {"organisation": party["organisation"], "payer_share": party["payer_share"]}
            )
        elif party["role"] == "investor":
            roles["investors"].append(party["organisation"])
        else:
            roles[party["role"]] = party["organisation"]
    return payers, roles


def list_section(
    name: str, filled: list[forms.Form], keys: tuple[str, ...]
) -> tuple[list[dict[str, Any]], Owners]:
    """Return a list section whose items are the rows' fields (cohorts, periods)."""
    items: list[dict[str, Any]] = []
    owners: Owners = {}
    for form in filled:
        owners[f"{name}[{len(items)}]"] = (form, None)
        item: dict[str, Any] = {}
        for key in keys:
            value = form.cleaned_data.get(key)
            if isinstance(value, datetime.date):
                value = value.isoformat()
            if value is not None and value != "":
                item[key] = value
        items.append(item)
    return items, owners


def dated_initial(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {key: _date(value) if key.endswith("_date") else value for key, value in item.items()}
        for item in items
    ]


def metrics_section(filled: list[forms.Form]) -> tuple[list[dict[str, Any]], Owners]:
    """Return metrics paid by a rate card (the other mechanisms come with an upload)."""
    items: list[dict[str, Any]] = []
    owners: Owners = {}
    for form in filled:
        data = form.cleaned_data
        owners[f"metrics[{len(items)}]"] = (form, None)
        item: dict[str, Any] = {
            "code": data["code"],
            "name": data["name"],
            "definition": data["definition"],
            "unit": "participant_outcome",
            "mechanism": {"kind": "rate_card", "price": data["price"]},
            "cohorts": list(data["cohorts"]),
            "periods": list(data["periods"]),
        }
        if data.get("max_count") is not None:
            item["max_count"] = data["max_count"]
        items.append(item)
    return items, owners


def metrics_initial(document: dict[str, Any]) -> list[dict[str, Any]]:
    currency = currency_of(document)
    return [
        {
            **{key: metric.get(key) for key in ("code", "name", "definition", "max_count")},
            "price": major(metric["mechanism"].get("price"), currency),
            "cohorts": metric.get("cohorts", []),
            "periods": metric.get("periods", []),
        }
        for metric in document.get("metrics") or []
        if (metric.get("mechanism") or {}).get("kind") == "rate_card"
    ]


def rate_card(document: dict[str, Any], metrics: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the rate card: each metric's price per outcome in each cohort it pays in."""
    cohorts = [(c["code"], c["name"]) for c in document.get("cohorts") or []]
    lines = []
    for metric in metrics:
        price = metric["mechanism"]["price"]
        measured = set(metric["cohorts"])
        lines.append(
            {
                "code": metric["code"],
                "name": metric["name"],
                "prices": [price if code in measured else None for code, _name in cohorts],
                "max_count": metric.get("max_count"),
            }
        )
    return {"cohorts": cohorts, "lines": lines, "currency": currency_of(document)}


def tranches_section(
    tranches: list[forms.Form], commitments: list[forms.Form]
) -> tuple[list[dict[str, Any]], Owners]:
    """Return the tranches with their commitments and the forms showing them; a
    commitment naming no tranche of the list is refused at its tranche field."""
    items: list[dict[str, Any]] = []
    owners: Owners = {}
    by_key: dict[str, dict[str, Any]] = {}
    for form in tranches:
        data = form.cleaned_data
        path = f"tranches[{len(items)}]"
        owners[path] = (form, None)
        owners[f"{path}.cap"] = (form, "cap_value")
        owners[f"{path}.cap.type"] = (form, "cap_type")
        cap = {"type": data["cap_type"], "value": data["cap_value"]} if data["cap_type"] else None
        item = {
            "key": data["key"],
            "name": data["name"],
            "kind": data["kind"],
            "priority": data["priority"],
            "cap": cap,
            "commitments": [],
        }
        items.append(item)
        by_key.setdefault(data["key"], item)
        by_key[data["key"]]["_path"] = path
    for form in commitments:
        data = form.cleaned_data
        tranche = by_key.get(data["tranche"])
        if tranche is None:
            message = _("No tranche above has the key %(key)s.") % {"key": data["tranche"]}
            form.add_error("tranche", message)
            continue
        owners[f"{tranche['_path']}.commitments[{len(tranche['commitments'])}]"] = (form, None)
        tranche["commitments"].append(
            {
                "investor": data["investor"],
                "amount": data["amount"],
                "committed_on": iso(data["committed_on"]),
            }
        )
    for item in items:
        item.pop("_path", None)
    return items, owners


def tranches_initial(document: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    currency = currency_of(document)
    tranches, commitments = [], []
    for item in document.get("tranches") or []:
        cap = item.get("cap") or {}
        tranches.append(
            {
                **{key: item.get(key) for key in ("key", "name", "kind", "priority")},
                "cap_type": cap.get("type", ""),
                "cap_value": cap.get("value", ""),
            }
        )
        for commitment in item.get("commitments") or []:
            commitments.append(
                {
                    "tranche": item["key"],
                    "investor": commitment["investor"],
                    "amount": major(commitment["amount"], currency),
                    "committed_on": _date(commitment["committed_on"]),
                }
            )
    return tranches, commitments


def waterfall_section(filled: list[forms.Form]) -> tuple[list[dict[str, Any]], Owners]:
    """Return the steps in their order; a field left empty is not part of a step."""
    items: list[dict[str, Any]] = []
    owners: Owners = {}
    for form in filled:
        owners[f"waterfall[{len(items)}]"] = (form, None)
        data = form.cleaned_data
        step: dict[str, Any] = {"kind": data["kind"]}
        for key in ("tranche", "recipient", "share", "amount"):
            if data.get(key) not in (None, ""):
                step[key] = data[key]
        items.append(step)
    return items, owners


def waterfall_initial(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the steps to show: the definition's, or the usual order of its tranches."""
    currency = currency_of(document)
    steps = document.get("waterfall")
    if steps is None:
        tranches = sorted(document.get("tranches") or [], key=lambda t: t.get("priority", 0))
        kinds = ("principal", "return")
        steps = [{"kind": kind, "tranche": t["key"]} for t in tranches for kind in kinds]
        steps.append({"kind": "residual_to_payer"})
    return [
        {**step, "amount": major(step.get("amount"), currency), "ORDER": position}
        for position, step in enumerate(steps, start=1)
    ]
