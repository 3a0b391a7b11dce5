"""Read an INDIGO project record into a programme definition (docs/indigo.md).

`indigo_convert` is pure: the record in, a `sib-programme` document out, with every
source field it did not map (by JSON path, with the reason when it had a value that does
not fit), what the format requires and the record lacks (`missing`: nothing is loaded
then), and what the programme needs before it can be activated (`to_complete`: it is
loaded as a draft). `indigo_import` loads the document through the programme format's
loader, the same services as `programme_load`: nothing is written around them.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sib.indigo import mapping as m
from sib.models import Organisation
from sib.programme_format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    programme_definition_load,
    programme_schema,
)

_CODE = re.compile(r"^[-a-zA-Z0-9_]+$")


class IndigoError(ValueError):
    """The file is not an INDIGO project record at all."""


@dataclass
class Conversion:
    document: dict[str, Any]
    unmapped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    to_complete: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    conversion: Conversion
    programme: Any = None  # None when something the format requires is missing


def _record(bundle: Any) -> tuple[dict[str, Any], str]:
    """Return the project record and the JSON path of its `data`."""
    if isinstance(bundle, dict) and isinstance(bundle.get("project"), dict):
        project, prefix = bundle["project"], "project."
    elif isinstance(bundle, dict) and isinstance(bundle.get("data"), dict):
        project, prefix = bundle, ""
    else:
        raise IndigoError(
            'not an INDIGO project record: expected {"project": {"id": ..., "data": {...}}} '
            'or {"id": ..., "data": {...}}'
        )
    if not isinstance(project.get("data"), dict):
        raise IndigoError(f"{prefix}data: expected the project's fields (an object)")
    return project, prefix


class _Reader:
    """Read values by JSON path, remembering which were mapped and why others were not."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.used: set[str] = set()
        self.refused: dict[str, str] = {}

    def get(self, path: str) -> Any:
        node = self.root
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
            if part.startswith("["):
                index = int(part[1:-1])
                node = node[index] if isinstance(node, list) and index < len(node) else None
            else:
                node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                return None
        return node

    def take(self, path: str, convert: Callable[[Any], Any]) -> Any:
        """Return the converted value at `path` (None when absent or refused)."""
        value = self.get(path)
        if value is None:
            return None
        try:
            converted = convert(value)
        except m.Unmappable as exc:
            self.refused[path] = str(exc)
            return None
        self.used.add(path)
        return converted

    def unmapped(self) -> list[str]:
        out = []
        for path in _leaves(self.root, ""):
            if path not in self.used:
                reason = self.refused.get(path)
                out.append(f"{path} ({reason})" if reason else path)
        return out


def _leaves(node: Any, path: str) -> list[str]:
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _leaves(v, f"{path}.{k}" if path else k)]
    if isinstance(node, list):
        return [leaf for i, v in enumerate(node) for leaf in _leaves(v, f"{path}[{i}]")]
    return [] if node is None or node == "" else [path]


def _put(target: dict[str, Any], place: str, value: Any) -> None:
    *parents, last = place.split(".")
    for key in parents:
        target = target.setdefault(key, {})
    target[last] = value


class _Converter:
    def __init__(self, bundle: Any, slug: str | None, known_name: Callable[[str], str | None]):
        self.project, self.prefix = _record(bundle)
        self.data = self.prefix + "data."
        self.read = _Reader(bundle)
        self.known_name = known_name
        self.out = Conversion(document={})
        self.programme: dict[str, Any] = {}
        self.facts: dict[str, Any] = {}
        self.organisations: dict[str, dict[str, Any]] = {}
        self.parties: list[dict[str, Any]] = []
        self.names = self._bundled_names(bundle)
        self.slug = slug

    def _bundled_names(self, bundle: Any) -> dict[str, tuple[int, Any]]:
        records = bundle.get("organisations") if "project" in bundle else None
        found: dict[str, tuple[int, Any]] = {}
        for j, record in enumerate(records if isinstance(records, list) else []):
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                found.setdefault(record["id"], (j, record))
        return found

    def take(self, path: str, convert: Callable[[Any], Any]) -> Any:
        return self.read.take(self.data + path, convert)

    def run(self) -> Conversion:
        self._identity()
        for scalar in m.SCALARS:
            value = self.take(scalar.indigo, scalar.convert)
            if value is not None:
                _put({"programme": self.programme, "facts": self.facts}, scalar.place, value)
        self._contract_dates()
        self._money()
        self._lists()
        for list_key, role in m.PART_LISTS.items():
            items = self.read.get(self.data + list_key)
            for i, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict):
                    self._part(f"{list_key}[{i}]", role)
        self._required()
        document: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
        if self.organisations:
            document["organisations"] = [
                {**o, "kinds": sorted(o["kinds"])} for o in self.organisations.values()
            ]
        document["programme"] = self.programme
        if self.parties:
            document["parties"] = self.parties
        if self.facts:
            document["facts"] = self.facts
        self.out.document = document
        self.out.unmapped = self.read.unmapped()
        return self.out

    def _identity(self) -> None:
        indigo_id = self.project.get("id")
        if isinstance(indigo_id, str) and _CODE.match(indigo_id) and len(indigo_id) <= 40:
            self.read.used.add(self.prefix + "id")
            self.facts["indigo_id"] = indigo_id
            self.slug = self.slug or m.organisation_slug(indigo_id)
        if self.slug:
            self.programme["slug"] = self.slug
        else:
            self.out.missing.append("programme.slug: the record has no usable id; pass --slug")

    def _contract_dates(self) -> None:
        for key, path in m.CONTRACT_DATES.items():
            value = self.read.get(self.data + path)
            try:
                self.programme[key] = m.full_date(value)
            except m.Unmappable as exc:
                said = f"is {value!r}: {exc}" if value is not None else "is not in the record"
                self.out.missing.append(f"programme.{key}: {path} {said}")

    def _money(self) -> None:
        currency = None
        for path in (f"{m.CAP}.currency.value", f"{m.INVESTMENT}.currency.value"):
            value = self.read.get(self.data + path)
            if isinstance(value, str) and re.fullmatch(r"[A-Z]{3}", value):
                currency = currency or value
                if value == currency:
                    self.read.used.add(self.data + path)
        if currency is None:
            self.out.missing.append(f"programme.currency: {m.CAP}.currency is not in the record")
        else:
            self.programme["currency"] = currency
        self.currency = currency
        cap_path = f"{m.CAP}.amount.value"
        cap = self.take(cap_path, lambda v: m.money(v, currency))
        if cap is not None:
            self.programme["contract_cap"] = cap
        elif self.read.get(self.data + cap_path) is None:
            # The record gives no cap: the format's "unknown" (null), never a guess. A cap
            # given but unreadable is not unknown: it stays missing, listed with its reason.
            self.programme["contract_cap"] = None
            self.out.to_complete.append(
                "programme.contract_cap: not in the record; unknown until someone supplies it"
            )
        total = self._range(m.INVESTMENT + ".currency.value", m.INVESTMENT + ".amount")
        if total:
            self.facts["investment_total"] = total

    def _range(self, currency_path: str, amount_path: str) -> dict[str, int]:
        stated = self.read.get(self.data + currency_path)
        found = {}
        for key in m.RANGE_KEYS:
            path = f"{amount_path}.{key}.value"
            if stated is not None and stated != self.currency:
                if self.read.get(self.data + path) is not None:
                    self.read.refused[self.data + path] = (
                        f"in {stated}, the programme's currency is {self.currency}"
                    )
                continue
            amount = self.take(path, lambda v: m.money(v, self.currency))
            if amount is not None:
                found[key] = amount
        if found and stated is not None:
            self.read.used.add(self.data + currency_path)
        return found

    def _lists(self) -> None:
        locations = []
        for i, _item in enumerate(self._items("delivery_locations")):
            base = f"delivery_locations[{i}]"
            place = self.take(f"{base}.location_name.value", m.name)
            if place is None:
                continue
            location = {"name": place}
            if (code := self.take(f"{base}.location_country.value", m.country)) is not None:
                location["country"] = code
            locations.append(location)
        sources = [
            self._fields(
                f"sources[{i}]",
                [("name", "name", m.name), ("url", "url", m.url), ("type", "kind", m.name),
                 ("publication_date", "published", m.name)],
            )
            for i, _item in enumerate(self._items("sources"))
        ]  # fmt: skip
        documents = [
            self._fields(f"documents[{i}]", [("title", "title", m.name), ("url", "url", m.url)])
            for i, _item in enumerate(self._items("documents"))
        ]
        funds: list[str] = []
        for i, _item in enumerate(self._items("outcome_funds")):
            fund = self.read.get(f"{self.data}outcome_funds[{i}].id")
            if fund not in funds and self.take(f"outcome_funds[{i}].id", m.name) is not None:
                funds.append(fund)
        for key, values in (
            ("locations", locations),
            ("sources", [s for s in sources if s]),
            ("documents", [d for d in documents if d]),
            ("outcome_funds", funds),
        ):
            if values:
                self.facts[key] = values

    def _items(self, key: str) -> list[Any]:
        items = self.read.get(self.data + key)
        return items if isinstance(items, list) else []

    def _fields(self, base: str, fields: list[tuple[str, str, Any]]) -> dict[str, Any]:
        found = {}
        for indigo, ours, convert in fields:
            value = self.take(f"{base}.{indigo}.value", convert)
            if value is not None:
                found[ours] = value
        return found

    def _organisation(self, base: str, kind: str) -> str | None:
        """Return the slug of the organisation `base` names, registered with `kind`."""
        path = f"{base}.organisation_id.value"
        indigo_id = self.read.get(self.data + path)
        if not isinstance(indigo_id, str):
            return None
        slug = m.organisation_slug(indigo_id)
        if not _CODE.match(slug) or len(slug) > 80:
            self.read.refused[self.data + path] = "not an identifier usable as a slug"
            return None
        record = self.names.get(indigo_id)
        name_path = f"organisations[{record[0]}].data.name.value" if record else None
        try:
            name = m.name(self.read.get(name_path)) if name_path else None
        except m.Unmappable as exc:
            self.read.refused[name_path or ""] = str(exc)
            name = None
        if name is None:
            name = self.known_name(slug)
            name_path = None
        if name is None:
            self.out.missing.append(
                f"organisations: the name of {indigo_id} ({self.data}{path}): include its "
                'INDIGO organisation record in the file ("organisations": [...])'
            )
            return None
        self.read.used.add(self.data + path)
        if record and name_path:
            self.read.used.update({f"organisations[{record[0]}].id", name_path})
        entry = self.organisations.setdefault(slug, {"slug": slug, "name": name, "kinds": set()})
        entry["kinds"].add(kind)
        return slug

    def _part(self, base: str, role: str) -> None:
        slug = self._organisation(base, role)
        if slug is None:
            return
        entry: dict[str, Any] = {"organisation": slug, "role": role}
        if role == "intermediary":
            function = self.take(f"{base}.organisation_role_category.value", m.name)
            if function == "Other":
                function = self.take(f"{base}.other_role_description.value", m.name) or "Other"
            if function is not None:
                entry["function"] = function
        elif (
            category := self.take(f"{base}.organisation_role_category.value", m.name)
        ) is not None:
            entry["category"] = category
        roles = self.facts.setdefault("organisation_roles", [])
        if entry not in roles:
            roles.append(entry)
        if role == "outcome_payer":
            needed = f"parties: the share of outcome payer {slug!r}: INDIGO records none"
            if needed not in self.out.to_complete:
                self.out.to_complete.append(needed)
            return
        if {"organisation": slug, "role": role} not in self.parties:
            self.parties.append({"organisation": slug, "role": role})
        if role == "investor":
            terms: dict[str, Any] = {"investor": slug}
            commitment = self._range(
                f"{base}.investment_commitment.currency.value",
                f"{base}.investment_commitment.amount",
            )
            if commitment:
                terms["commitment"] = commitment
            terms.update(self._scalars(base, m.INVESTOR_TERMS))
            self.facts.setdefault("investor_terms", []).append(terms)
        elif role == "service_provider":
            contract: dict[str, Any] = {"provider": slug}
            if (intervention := self.take(f"{base}.intervention.value", m.text)) is not None:
                contract["intervention"] = intervention
            contract.update(self._scalars(base, m.SERVICE_DATES))
            self.facts.setdefault("service_contracts", []).append(contract)

    def _scalars(self, base: str, scalars: list[m.Scalar]) -> dict[str, Any]:
        found = {}
        for scalar in scalars:
            value = self.take(f"{base}.{scalar.indigo}", scalar.convert)
            if value is not None:
                found[scalar.place] = value
        return found

    def _required(self) -> None:
        said = {line.split(":", 1)[0] for line in self.out.missing}
        for key in programme_schema()["$defs"]["programme"]["required"]:
            if key not in self.programme and f"programme.{key}" not in said:
                self.out.missing.append(f"programme.{key}: not in the record")
        if not any(r["role"] == "outcome_payer" for r in self.facts.get("organisation_roles", [])):
            self.out.to_complete.append("parties: the record names no outcome payer")


def indigo_convert(
    bundle: Any,
    *,
    slug: str | None = None,
    known_name: Callable[[str], str | None] = lambda _slug: None,
) -> Conversion:
    """Return the programme definition an INDIGO record maps to, and what did not map.

    `known_name` gives the name of an organisation already in the system by slug, for
    records that refer to organisations without bundling their INDIGO records.
    """
    return _Converter(bundle, slug, known_name).run()


def indigo_import(*, bundle: Any, creator: Any, slug: str | None = None) -> ImportResult:
    """Load an INDIGO record as a draft programme, unless something required is missing.

    Raises the loader's DefinitionError when the mapped document breaks a rule of the
    format (a currency not in use, a slug that exists...).
    """

    def known_name(organisation_slug: str) -> str | None:
        found = Organisation.objects.filter(slug=organisation_slug).first()
        return found.name if found is not None else None

    conversion = indigo_convert(bundle, slug=slug, known_name=known_name)
    if conversion.missing:
        return ImportResult(conversion=conversion)
    programme = programme_definition_load(conversion.document, creator=creator)
    return ImportResult(conversion=conversion, programme=programme)
