"""The programme's descriptive facts as the programme home page shows them (sib.facts).

Read only: labels in the user's language, money in the programme's currency, dates as far
as they are known (a year or a month is shown as such), organisations by name. Each
investor's terms are shown to those who manage the programme only: an investor sees no
other investor's commitment (DOMAIN.md, users).
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sib.facts import programme_facts
from sib.models import Organisation, Programme
from sib.money import format_money
from sib.portal.labels import PARTY_ROLE_LABELS, label

DATE_LABELS: dict[str, Promise] = {
    "outcomes_contract_signed": _("Outcomes contract signed"),
    "all_contracts_signed": _("All contracts signed"),
    "service_start": _("Service started"),
    "service_end_anticipated": _("Service end, anticipated"),
    "service_end_actual": _("Service end, actual"),
    "completion_anticipated": _("Last outcome payment, anticipated"),
    "completion_actual": _("Last outcome payment, actual"),
}


@dataclass
class FactsView:
    rows: list[tuple[str, str]] = field(default_factory=list)
    dates: list[tuple[str, str]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    roles: list[tuple[str, list[str]]] = field(default_factory=list)
    contracts: list[dict[str, str]] = field(default_factory=list)
    investors: list[dict[str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.rows, self.dates, self.links, self.roles, self.contracts))


def _country(code: str) -> str:
    try:
        name = Locale.parse((get_language() or "en").replace("-", "_")).territories.get(code)
    except (UnknownLocaleError, ValueError):
        name = None
    return f"{name or code} ({code})"


def _range(amounts: dict[str, int], currency: str) -> str:
    lang = get_language() or "en"
    money = {k: format_money(v, currency, lang) for k, v in amounts.items()}
    if "exact" in money:
        return money["exact"]
    if "min" in money and "max" in money:
        return str(_("%(min)s to %(max)s")) % money
    if "min" in money:
        return str(_("at least %(min)s")) % money
    return str(_("at most %(max)s")) % money


def _percent(fraction: str) -> str:
    return format(Decimal(fraction).scaleb(2).normalize(), "f") + " %"


def programme_facts_view(*, programme: Programme, show_investors: bool) -> FactsView:
    """Return what the home page shows of the programme's facts."""
    facts = programme_facts(programme=programme)
    view = FactsView()
    if not facts:
        return view
    currency = programme.currency
    slugs = {r["organisation"] for r in facts.get("organisation_roles", [])}
    slugs |= {c["provider"] for c in facts.get("service_contracts", [])}
    slugs |= {t["investor"] for t in facts.get("investor_terms", [])}
    names = dict(Organisation.objects.filter(slug__in=slugs).values_list("slug", "name"))
    rows: list[tuple[Any, Any]] = [
        (_("Country"), _country(facts["country"]) if "country" in facts else None),
        (_("Places"), ", ".join(_place(p) for p in facts.get("locations", [])) or None),
        (_("Policy sector"), facts.get("policy_sector")),
        (_("Stage"), facts.get("stage")),
        (_("Outcome funds"), ", ".join(facts.get("outcome_funds", [])) or None),
        (_("Beneficiaries targeted"), facts.get("beneficiaries", {}).get("targeted")),
        (_("Beneficiaries engaged"), facts.get("beneficiaries", {}).get("engaged")),
        (
            _("Investment raised"),
            _range(facts["investment_total"], currency) if "investment_total" in facts else None,
        ),
        (_("Maximum loss (capital protection)"), facts.get("maximum_loss")),
        (
            _("Maximum return"),
            _with_type(facts.get("maximum_return"), facts.get("maximum_return_type")),
        ),
        (_("Target IRR"), _percent(facts["target_irr"]) if "target_irr" in facts else None),
    ]
    view.rows = [(str(k), str(v)) for k, v in rows if v is not None]
    dates = facts.get("dates", {})
    view.dates = [(str(text), dates[key]) for key, text in DATE_LABELS.items() if key in dates]
    for kind, items in (
        ("source", facts.get("sources", [])),
        ("document", facts.get("documents", [])),
    ):
        for item in items:
            title = item.get("title") or item.get("name") or item.get("url", "")
            view.links.append({"title": title, "url": item.get("url", ""), "kind": kind})
    grouped: dict[str, list[str]] = {}
    for role in facts.get("organisation_roles", []):
        text = label(PARTY_ROLE_LABELS, role["role"])
        detail = role.get("function") or role.get("category")
        grouped.setdefault(role["organisation"], []).append(
            f"{text} ({detail})" if detail else text
        )
    view.roles = [(names.get(slug, slug), parts) for slug, parts in grouped.items()]
    for contract in facts.get("service_contracts", []):
        view.contracts.append(
            {
                "provider": names.get(contract["provider"], contract["provider"]),
                "intervention": contract.get("intervention", ""),
                "planned": _span(contract.get("planned_start"), contract.get("planned_end")),
                "actual": _span(contract.get("actual_start"), contract.get("actual_end")),
            }
        )
    if show_investors:
        for terms in facts.get("investor_terms", []):
            view.investors.append(
                {
                    "investor": names.get(terms["investor"], terms["investor"]),
                    "commitment": _range(terms["commitment"], currency)
                    if "commitment" in terms
                    else "",
                    "type": terms.get("investment_type", ""),
                    "loss": terms.get("maximum_loss", ""),
                    "return": _with_type(
                        f"{terms['maximum_return']} %" if "maximum_return" in terms else None,
                        terms.get("maximum_return_type"),
                    )
                    or "",
                }
            )
    return view


def _place(location: dict[str, str]) -> str:
    return (
        f"{location['name']} ({location['country']})" if "country" in location else location["name"]
    )


def _with_type(value: str | None, kind: str | None) -> str | None:
    if value is None:
        return None
    return f"{value} ({kind})" if kind else value


def _span(start: str | None, end: str | None) -> str:
    if not start and not end:
        return ""
    return f"{start or '…'} – {end or '…'}"
