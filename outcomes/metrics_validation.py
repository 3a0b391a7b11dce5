"""Validate a metric's payment mechanism against the rules of outcomes.mechanisms.

Errors are (JSON path, message) pairs, paths relative to the metric (`mechanism.price`),
so the programme definition loader and the API can prefix them with where the metric is.
"""

from collections.abc import Collection
from typing import Any

from django.utils.translation import gettext as _

from outcomes.mechanisms import AbsoluteDifferenceMechanism, ComparisonMechanism, MetricRule
from outcomes.rule_json import RuleError

Errors = list[tuple[str, str]]


def metric_mechanism_errors(
    *,
    code: str,
    mechanism: Any,
    max_count: int | None = None,
    max_amount: int | None = None,
    direction: str | None = None,
    cohort_codes: Collection[str] = (),
) -> Errors:
    """Return every error in a metric's mechanism and caps (empty when valid)."""
    try:
        rule = MetricRule.from_dict(
            {
                "code": code,
                "mechanism": mechanism,
                "max_count": max_count,
                "max_amount": max_amount,
            },
            "",
        )
    except RuleError as exc:
        return [(exc.path, exc.message)]
    errors: Errors = []
    mechanism = rule.mechanism
    if (
        isinstance(mechanism, ComparisonMechanism | AbsoluteDifferenceMechanism)
        and direction is not None
        and mechanism.direction.value != direction
    ):
        message = _("must match the metric's direction %(direction)s") % {"direction": direction}
        errors.append(("mechanism.direction", message))
    if isinstance(rule.mechanism, ComparisonMechanism):
        unknown = [c for c in rule.mechanism.cohorts if c not in set(cohort_codes)]
        for index, cohort in enumerate(rule.mechanism.cohorts):
            if cohort in unknown:
                message = _("unknown cohort %(code)r") % {"code": cohort}
                errors.append((f"mechanism.cohorts[{index}]", message))
    return errors


def mechanism_normalised(*, code: str, mechanism: Any) -> dict[str, Any]:
    """Return the mechanism as the rules engine writes it back (defaults filled in)."""
    return MetricRule.from_dict({"code": code, "mechanism": mechanism}, "").mechanism.to_dict()
