"""Plausibility of a submitted result: counts that cannot be right are refused at the door.

A verified count decides a payment, so one that cannot be true is refused when it is
submitted, not discovered when the money is due (docs/results-csv.md, "Plausibility"):

- a metric counted per participant (unit participant_outcome) counts whole people: 2.5
  is refused;
- a count of participants (that value, or a sample size) above the cohort's planned size
  times PLANNED_SIZE_FACTOR is refused unless the submitter declares it
  (`over_planned_size`): cohorts over-recruit, but not tenfold by accident;
- a value (or comparison value) below zero, or finer than the six decimals its column
  keeps, is refused: the column would answer an IntegrityError, or round it silently;
- a metric paid by `absolute_difference` needs both groups' counts, whole; one paid by
  `banded_rate` needs the participants measured (`sample_size`, above 0) and a whole
  count achieving among them: the engine cannot price anything else, and would refuse
  it only when the verification books the payment.
"""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from outcomes.models import Cohort, Metric, Unit
from sib.bounds import decimal_text_error

# A cohort may end up larger than planned (late joiners, a second intake); half as many
# again is taken as plausible, more must be declared.
PLANNED_SIZE_FACTOR = Decimal("1.5")


def stored_value_errors(*, value: Decimal, comparison_value: Decimal | None) -> dict[str, Any]:
    """Return {field: message} for a result value its column cannot hold as given.

    numeric(20, 6) rounds a seventh decimal without a word and its check constraints
    answer a negative value with an IntegrityError: both are refused here with the rule.
    """
    errors: dict[str, Any] = {}
    for field, number in (("value", value), ("comparison_value", comparison_value)):
        if number is None:
            continue
        number = Decimal(number)
        if number < 0:
            errors[field] = _("%(value)s is negative: a result is zero or more.") % {
                "value": number
            }
        elif problem := decimal_text_error(format(number, "f")):
            errors[field] = problem
    return errors


def mechanism_value_errors(
    *,
    code: str,
    kind: str,
    value: Decimal,
    comparison_value: Decimal | None,
    sample_size: int | None,
) -> dict[str, Any]:
    """Return {field: message} for values metric `code`'s mechanism `kind` cannot price."""
    errors: dict[str, Any] = {}
    if kind == "absolute_difference":
        if comparison_value is None:
            errors["comparison_value"] = _(
                "Metric '%(metric)s' pays per unit of difference: give the comparison "
                "group's count."
            ) % {"metric": code}
        for field, number in (("value", value), ("comparison_value", comparison_value)):
            if number is not None and Decimal(number) != Decimal(number).to_integral_value():
                errors[field] = _(
                    "Metric '%(metric)s' pays per unit of difference: %(value)s is not a "
                    "whole number."
                ) % {"metric": code, "value": Decimal(number).normalize()}
    elif kind == "banded_rate":
        number = Decimal(value)
        if not sample_size:
            errors["sample_size"] = _(
                "Metric '%(metric)s' pays on a rate: give the participants measured "
                "(sample_size), at least 1."
            ) % {"metric": code}
        if number != number.to_integral_value():
            errors["value"] = _(
                "Metric '%(metric)s' pays on a rate: %(value)s participants is not a whole number."
            ) % {"metric": code, "value": number.normalize()}
        elif sample_size and number > sample_size:
            errors["value"] = _(
                "%(value)s participants achieving is more than the %(measured)s measured: "
                "a rate is at most 100 %%."
            ) % {"value": int(number), "measured": sample_size}
    return errors


def plausible_limit(cohort: Cohort) -> int | None:
    """Return the largest count taken without a declaration, or None for no limit."""
    if cohort.planned_size is None:
        return None
    return int(cohort.planned_size * PLANNED_SIZE_FACTOR)


def result_plausibility_errors(
    *,
    metric: Metric,
    cohort: Cohort,
    value: Decimal,
    sample_size: int | None,
    over_planned_size: bool = False,
) -> dict[str, Any]:
    """Return {field: message} for what cannot be right in a result's values."""
    errors: dict[str, Any] = {}
    counts: dict[str, Decimal | int] = {}
    value = Decimal(value)  # callers inside the project may pass an int
    if metric.unit == Unit.PARTICIPANT_OUTCOME:
        if value != value.to_integral_value():
            errors["value"] = _(
                "Metric '%(metric)s' counts participants: %(value)s is not a whole number."
            ) % {"metric": metric.code, "value": value.normalize()}
        else:
            counts["value"] = value
    if sample_size is not None:
        counts["sample_size"] = sample_size
    limit = plausible_limit(cohort)
    if limit is None or over_planned_size:
        return errors
    for field, count in counts.items():
        if count > limit:
            errors[field] = _(
                "%(count)s is more than %(factor)s times the %(planned)s participants planned "
                "for cohort '%(cohort)s'; if it is right, declare it (over_planned_size) and "
                "say why in the note."
            ) % {
                "count": f"{int(count):,}",
                "factor": PLANNED_SIZE_FACTOR,
                "planned": cohort.planned_size,
                "cohort": cohort.code,
            }
    return errors


def require_plausible(
    *,
    metric: Metric,
    cohort: Cohort,
    value: Decimal,
    sample_size: int | None,
    note: str,
    over_planned_size: bool,
    comparison_value: Decimal | None = None,
) -> None:
    """Raise ValidationError naming each implausible field of a result being submitted."""
    errors = result_plausibility_errors(
        metric=metric,
        cohort=cohort,
        value=value,
        sample_size=sample_size,
        over_planned_size=over_planned_size,
    )
    errors.update(
        mechanism_value_errors(
            code=metric.code,
            kind=metric.mechanism_kind,
            value=value,
            comparison_value=comparison_value,
            sample_size=sample_size,
        )
    )
    # What the column cannot hold first: "-1" or "2.1234567" is not a count to judge.
    errors.update(stored_value_errors(value=value, comparison_value=comparison_value))
    if over_planned_size and not note.strip():
        errors["note"] = _("Say in the note why the count is above the planned size.")
    if errors:
        raise ValidationError(errors)
