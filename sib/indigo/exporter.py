"""Write a programme as an INDIGO project record (docs/indigo.md).

The record is built from the programme's definition document (`programme_definition_dump`,
the same reading `programme_dump` prints), through the mapping of `sib.indigo.mapping`
taken backwards, so that importing the record and exporting again gives the same record.
What INDIGO has no field for (payer shares, metrics, tranches, history...) is listed in
`not_exported`, never squeezed into a note.
"""

from dataclasses import dataclass, field
from typing import Any

from sib.indigo import mapping as m
from sib.programme_format import programme_definition_dump

# Sections of the programme format no INDIGO project field holds.
_SECTIONS_NOT_EXPORTED = (
    "memberships",
    "cohorts",
    "periods",
    "metrics",
    "tranches",
    "waterfall",
    "payment_terms",
    "history",
)


@dataclass
class Export:
    record: dict[str, Any]
    not_exported: list[str] = field(default_factory=list)


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        target = target.setdefault(key, {})
    target[last] = value


def _value(value: Any) -> dict[str, Any]:
    return {"value": value}


def _at(source: dict[str, Any], place: str) -> Any:
    node: Any = source
    for key in place.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def definition_to_indigo(document: dict[str, Any]) -> Export:
    """Return the INDIGO record of a programme definition document (pure)."""
    programme = document["programme"]
    facts = document.get("facts") or {}
    currency = programme["currency"]
    data: dict[str, Any] = {}
    out = Export(record={})
    source = {"programme": programme, "facts": facts}
    for scalar in m.SCALARS:
        value = _at(source, scalar.place)
        if value is not None and value != "":
            _put(data, scalar.indigo, scalar.back(value))
    _contract_dates(data, programme, facts)
    if programme.get("contract_cap") is not None:
        _put(data, f"{m.CAP}.currency.value", currency)
        _put(data, f"{m.CAP}.amount.value", m.money_out(programme["contract_cap"], currency))
    if total := facts.get("investment_total"):
        _put(data, f"{m.INVESTMENT}.currency.value", currency)
        for key, amount in total.items():
            _put(data, f"{m.INVESTMENT}.amount.{key}.value", m.money_out(amount, currency))
    _lists(data, facts)
    _parts(data, document, facts, currency, out)
    names = {o["slug"]: o["name"] for o in document.get("organisations") or []}
    used = sorted(
        {slug for part in m.PART_LISTS for slug in _slugs(data.get(part))},
        key=m.organisation_id,
    )
    project: dict[str, Any] = {}
    if facts.get("indigo_id"):
        project["id"] = facts["indigo_id"]
    project["data"] = data
    out.record = {"project": project}
    if used:
        out.record["organisations"] = [
            {"id": m.organisation_id(slug), "data": {"name": _value(names[slug])}} for slug in used
        ]
    for section in _SECTIONS_NOT_EXPORTED:
        if document.get(section):
            out.not_exported.append(f"{section}: INDIGO's project record has no field for it")
    return out


def _slugs(items: Any) -> list[str]:
    return [
        m.organisation_slug(item["organisation_id"]["value"])
        for item in items or []
        if "organisation_id" in item
    ]


def _contract_dates(data: dict[str, Any], programme: dict[str, Any], facts: dict[str, Any]) -> None:
    # The contract's dates are the facts' dates when those are not known to the day; a
    # fact that the day only completes (2019-06 for 2019-06-15) is written as the day.
    dates = {s.indigo: _at({"facts": facts}, s.place) for s in m.DATES}
    for key, path in m.CONTRACT_DATES.items():
        fact = dates.get(path)
        if fact is None or programme[key].startswith(fact):
            _put(data, path, programme[key])


def _lists(data: dict[str, Any], facts: dict[str, Any]) -> None:
    locations = []
    for location in facts.get("locations") or []:
        item = {"location_name": _value(location["name"])}
        if "country" in location:
            item["location_country"] = _value(location["country"])
        locations.append(item)
    renames = {
        "sources": {"name": "name", "url": "url", "kind": "type", "published": "publication_date"},
        "documents": {"title": "title", "url": "url"},
    }
    lists: dict[str, list[Any]] = {
        "delivery_locations": locations,
        "sources": [
            {renames["sources"][k]: _value(v) for k, v in s.items()}
            for s in facts.get("sources", [])
        ],
        "documents": [
            {renames["documents"][k]: _value(v) for k, v in d.items()}
            for d in facts.get("documents", [])
        ],
        "outcome_funds": [{"id": fund} for fund in facts.get("outcome_funds", [])],
    }
    for key, items in lists.items():
        if items:
            data[key] = items


def _shares_not_exported(document: dict[str, Any], out: Export) -> None:
    # INDIGO records who pays, never how much of what: shares, the payer of the rest,
    # payer splits and caps have no field.
    for party in document.get("parties") or []:
        if party.get("payer_share") == "rest":
            out.not_exported.append(f"parties: {party['organisation']!r} pays the rest")
        elif party.get("payer_share") is not None:
            out.not_exported.append(
                f"parties: the share of {party['organisation']!r} ({party['payer_share']} %)"
            )
    out.not_exported += [
        f"payer_shares[{i}]" for i, _s in enumerate(document.get("payer_shares") or [])
    ]
    out.not_exported += [
        f"parties: the cap of {p['organisation']!r} ({p['payer_cap']})"
        for p in document.get("parties") or []
        if p.get("payer_cap") is not None
    ]


def _parts(
    data: dict[str, Any],
    document: dict[str, Any],
    facts: dict[str, Any],
    currency: str,
    out: Export,
) -> None:
    roles = list(facts.get("organisation_roles") or [])
    for party in document.get("parties") or []:
        # A party the facts do not describe is still a part the organisation plays.
        if not any(
            r["organisation"] == party["organisation"] and r["role"] == party["role"] for r in roles
        ):
            roles.append({"organisation": party["organisation"], "role": party["role"]})
    _shares_not_exported(document, out)

    def category(slug: str, role: str) -> dict[str, Any]:
        for r in roles:
            if r["organisation"] == slug and r["role"] == role and "category" in r:
                return {"organisation_role_category": _value(r["category"])}
        return {}

    parts: dict[str, list[dict[str, Any]]] = {key: [] for key in m.PART_LISTS}
    for r in roles:
        if r["role"] == "outcome_payer":
            parts["outcome_payment_commitments"].append(
                {**_reference(r["organisation"]), **category(r["organisation"], r["role"])}
            )
        elif r["role"] == "intermediary":
            parts["intermediary_services"].append({**_reference(r["organisation"]), **_function(r)})
        elif r["role"] == "evaluator":
            out.not_exported.append(
                f"organisation_roles: {r['organisation']!r} as evaluator (INDIGO names "
                "validators per result only)"
            )
    terms = facts.get("investor_terms") or []
    parts["investments"] = [_investment(t, category, currency) for t in terms]
    contracts = facts.get("service_contracts") or []
    parts["service_provisions"] = [_provision(c, category) for c in contracts]
    # Investors and providers the facts give no terms or contract for: their part alone.
    described = {("investor", t["investor"]) for t in terms} | {
        ("service_provider", c["provider"]) for c in contracts
    }
    for r in roles:
        key = {"investor": "investments", "service_provider": "service_provisions"}.get(r["role"])
        if key and (r["role"], r["organisation"]) not in described:
            described.add((r["role"], r["organisation"]))
            parts[key].append(
                {**_reference(r["organisation"]), **category(r["organisation"], r["role"])}
            )
    for key, items in parts.items():
        if items:
            data[key] = items


def _investment(terms: dict[str, Any], category: Any, currency: str) -> dict[str, Any]:
    item = {**_reference(terms["investor"]), **category(terms["investor"], "investor")}
    if commitment := terms.get("commitment"):
        item["investment_commitment"] = {
            "currency": _value(currency),
            "amount": {k: _value(m.money_out(v, currency)) for k, v in commitment.items()},
        }
    for scalar in m.INVESTOR_TERMS:
        if scalar.place in terms:
            _put(item, scalar.indigo, scalar.back(terms[scalar.place]))
    return item


def _provision(contract: dict[str, Any], category: Any) -> dict[str, Any]:
    item = {
        **_reference(contract["provider"]),
        **category(contract["provider"], "service_provider"),
    }
    if "intervention" in contract:
        item["intervention"] = _value(contract["intervention"])
    for scalar in m.SERVICE_DATES:
        if scalar.place in contract:
            _put(item, scalar.indigo, contract[scalar.place])
    return item


def _reference(slug: str) -> dict[str, Any]:
    return {"organisation_id": _value(m.organisation_id(slug))}


def _function(role: dict[str, Any]) -> dict[str, Any]:
    function = role.get("function")
    if function is None:
        return {}
    if function in m.INTERMEDIARY_FUNCTIONS or function == "Other":
        return {"organisation_role_category": _value(function)}
    return {
        "organisation_role_category": _value("Other"),
        "other_role_description": _value(function),
    }


def programme_indigo_export(*, programme: Any) -> Export:
    """Return the programme as an INDIGO project record, and what the record cannot hold."""
    return definition_to_indigo(programme_definition_dump(programme))
