"""The mapping between INDIGO project records and the programme format, field by field.

One table (`SCALARS`) holds every INDIGO field that maps one value to one place of the
programme format; the lists (organisations' parts, locations, sources...) are mapped in
`importer` and `exporter` with the paths they name here. docs/indigo.md prints the
whole table. Each converter turns the INDIGO value into ours or raises `Unmappable` with
the reason, and its inverse gives the INDIGO value back: an export imported again gives
the same programme, and the same export.

Values are never completed by guess: a date known to the month stays a month (and cannot
be a contract date, which needs a day), "7 %" is the decimal string "0.07" but a bare "7"
is not mapped (a fraction or a percentage?), an amount finer than the currency's minor
unit is not rounded.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sib.bounds import control_character_error
from sib.money import MoneyError, from_minor, to_minor

_PARTIAL_DATE = re.compile(r"^[0-9]{4}(-[0-9]{2}){0,2}$")
_FULL_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PERCENT = re.compile(r"^\s*([0-9]{1,3}(\.[0-9]{1,10})?)\s*%\s*$")
_URL = re.compile(r"^https?://\S+$")
NAME_LENGTH = 200
TEXT_LENGTH = 10_000


class Unmappable(ValueError):
    """An INDIGO value with no exact place in the programme format; says why."""


def text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > TEXT_LENGTH:
        raise Unmappable("not a text of at most 10,000 characters")
    if problem := control_character_error(value):
        raise Unmappable(problem)
    return value


def name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_LENGTH:
        raise Unmappable("not a name of 1 to 200 characters")
    return text(value)


def url(value: Any) -> str:
    if not isinstance(value, str) or not _URL.match(value) or len(value) > 2000:
        raise Unmappable("not a web address starting with http:// or https://")
    return text(value)


def country(value: Any) -> str:
    if not isinstance(value, str) or not _COUNTRY.match(value):
        raise Unmappable("not a two-letter ISO 3166 country code")
    return value


def partial_date(value: Any) -> str:
    if not isinstance(value, str) or not _PARTIAL_DATE.match(value) or not _real(value):
        raise Unmappable("not a date written YYYY, YYYY-MM or YYYY-MM-DD")
    return value


def full_date(value: Any) -> str:
    """Return a day (YYYY-MM-DD); a year or a month is not completed to a day."""
    if not isinstance(value, str) or not _FULL_DATE.match(value):
        raise Unmappable("not a full date (YYYY-MM-DD): a contract date needs the day")
    if not _real(value):
        raise Unmappable("not a date of the calendar")
    return value


def _real(text_value: str) -> bool:
    """Whether a YYYY, YYYY-MM or YYYY-MM-DD is on the calendar (no month 13, no 31 June)."""
    parts = text_value.split("-")
    try:
        date(
            int(parts[0]),
            int(parts[1]) if len(parts) > 1 else 1,
            int(parts[2]) if len(parts) > 2 else 1,
        )
    except ValueError:
        return False
    return True


def count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unmappable("not a number")
    if isinstance(value, float) and not value.is_integer():
        raise Unmappable("not a whole number")
    if not 0 <= value <= 999_999_999:
        raise Unmappable("not between 0 and 999,999,999")
    return int(value)


def count_out(value: int) -> int:
    return value


def percent(value: Any) -> str:
    """Return "7.5 %" as the decimal string "0.075"; anything else is ambiguous."""
    match = _PERCENT.match(value) if isinstance(value, str) else None
    if match is None:
        raise Unmappable('not a percentage written like "7.5%"')
    return _plain(Decimal(match.group(1)).scaleb(-2))


def percent_out(value: str) -> str:
    return _plain(Decimal(value).scaleb(2)) + "%"


def decimal_text(value: Any) -> str:
    """Return a JSON number (INDIGO's percentages per investor) as a decimal string."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unmappable("not a number")
    try:
        number = Decimal(repr(value))
    except InvalidOperation:
        raise Unmappable("not a finite number") from None
    if not number.is_finite() or abs(number) >= Decimal("1e14"):
        raise Unmappable("not a finite number below 10^14")
    if -number.normalize().as_tuple().exponent > 12:  # type: ignore[operator]
        raise Unmappable("more than 12 decimal places")
    return _plain(number)


def number_out(value: str | Decimal) -> int | float:
    """Return a decimal as the JSON number INDIGO holds: whole when it is whole."""
    number = Decimal(value)
    if number == number.to_integral_value():
        return int(number)
    # repr(float) is the shortest text that reads back as the same float: an amount
    # with a few decimals comes back exactly through decimal_text and money.
    return float(number)


def money(value: Any, currency: str | None) -> int:
    """Return an INDIGO amount (major units, a JSON number) in minor units of `currency`."""
    if currency is None:
        raise Unmappable("no currency is known for the project")
    text_value = decimal_text(value)
    try:
        minor = to_minor(text_value, currency)
    except MoneyError as exc:
        raise Unmappable(str(exc)) from None
    if not 0 <= minor <= 10**15:
        raise Unmappable("not between 0 and 10^15 minor units")
    return minor


def money_out(minor: int, currency: str) -> int | float:
    return number_out(from_minor(minor, currency))


def _plain(number: Decimal) -> str:
    text_value = format(number.normalize(), "f")
    return "0" if text_value in ("-0", "") else text_value


def same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Scalar:
    """One INDIGO value (`indigo`, a path in the project's `data`) and its place here."""

    indigo: str
    place: str  # "programme.name", "facts.dates.service_start"...
    convert: Callable[[Any], Any]
    back: Callable[[Any], Any] = same


# The contract's own dates come from here too (when known to the day): the programme's
# `start_date` from the outcomes contract's signature, its `end_date` from the
# anticipated completion (the last outcome payment). See `CONTRACT_DATES`.
DATES = [
    Scalar(
        "dates.outcomes_contract_signed.value", "facts.dates.outcomes_contract_signed", partial_date
    ),
    Scalar(
        "dates.contracts_between_all_parties_signed.value",
        "facts.dates.all_contracts_signed",
        partial_date,
    ),
    Scalar(
        "dates.start_date_of_service_provision.value", "facts.dates.service_start", partial_date
    ),
    Scalar(
        "dates.anticipated_end_date_of_service_provision.value",
        "facts.dates.service_end_anticipated",
        partial_date,
    ),
    Scalar(
        "dates.actual_end_date_of_service_provision.value",
        "facts.dates.service_end_actual",
        partial_date,
    ),
    Scalar(
        "dates.anticipated_completion_date.value",
        "facts.dates.completion_anticipated",
        partial_date,
    ),
    Scalar("dates.actual_completion_date.value", "facts.dates.completion_actual", partial_date),
]

CONTRACT_DATES = {
    "start_date": "dates.outcomes_contract_signed.value",
    "end_date": "dates.anticipated_completion_date.value",
}

SCALARS = [
    Scalar("name.value", "programme.name", name),
    Scalar("purpose_and_classifications.intervention.value", "programme.description", text),
    Scalar(
        "service_and_beneficiaries.target_population.value", "programme.target_population", text
    ),
    Scalar("stage_development.value", "facts.stage", name),
    Scalar("jurisdiction.jurisdiction.value", "facts.country", country),
    Scalar("purpose_and_classifications.policy_sector.value", "facts.policy_sector", name),
    *DATES,
    Scalar(
        "service_and_beneficiaries.targeted_number_service_users_or_beneficiaries_total.value",
        "facts.beneficiaries.targeted",
        count,
        count_out,
    ),
    Scalar(
        "service_and_beneficiaries.actual_number_service_users_or_beneficiaries_total.value",
        "facts.beneficiaries.engaged",
        count,
        count_out,
    ),
    Scalar(
        "service_and_beneficiaries.unit_type_targeted_service_users_or_beneficiaries.value",
        "facts.beneficiaries.unit",
        name,
    ),
    Scalar("overall_project_finance.maximum_potential_loss.value", "facts.maximum_loss", name),
    Scalar("overall_project_finance.maximum_potential_return.value", "facts.maximum_return", name),
    Scalar(
        "overall_project_finance.maximum_potential_return_type.value",
        "facts.maximum_return_type",
        name,
    ),
    Scalar(
        "investment_details.internal_rate_of_return.target.value",
        "facts.target_irr",
        percent,
        percent_out,
    ),
]

# Money: the programme's currency and cap, the investment raised (exact or a range).
CAP = "overall_project_finance.maximum_potential_outcome_payment_v2"
INVESTMENT = "overall_project_finance.total_investment_commitment"
RANGE_KEYS = ("min", "exact", "max")

# INDIGO's lists of organisations' parts, and the role each gives here.
PART_LISTS = {
    "outcome_payment_commitments": "outcome_payer",
    "investments": "investor",
    "service_provisions": "service_provider",
    "intermediary_services": "intermediary",
}

# The intermediaries' functions INDIGO names; any other is written as "Other" with its
# description.
INTERMEDIARY_FUNCTIONS = frozenset(
    {
        "Impact bond design",
        "Financial and commercial modeling",
        "Impact bond investment structure",
        "Capital raise",
        "Loan arranger",
        "Performance management",
        "Legal counsel",
        "Technical assistance",
    }
)

# An investment's terms: INDIGO field (under investments[i]) -> investor_terms field.
INVESTOR_TERMS = [
    Scalar("investment_type.value", "investment_type", name),
    Scalar("maximum_potential_loss.value", "maximum_loss", name),
    Scalar("maximum_potential_return.value", "maximum_return", decimal_text, number_out),
    Scalar("maximum_potential_return_type.value", "maximum_return_type", name),
    Scalar("investor_repayment.value", "repayment", name),
]

SERVICE_DATES = [
    Scalar("planned_service.start_date.value", "planned_start", partial_date),
    Scalar("planned_service.end_date.value", "planned_end", partial_date),
    Scalar("actual_service.start_date.value", "actual_start", partial_date),
    Scalar("actual_service.end_date.value", "actual_end", partial_date),
]


def organisation_slug(indigo_id: str) -> str:
    """Return the slug of an INDIGO identifier: "INDIGO-ORG-0016" -> "indigo-org-0016"."""
    return indigo_id.lower()


def organisation_id(slug: str) -> str:
    """Return the INDIGO identifier of a slug (the inverse of `organisation_slug` for an
    INDIGO identifier; any other slug is its own identifier)."""
    return slug.upper() if slug.startswith("indigo-") else slug
