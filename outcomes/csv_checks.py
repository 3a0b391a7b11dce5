"""SQL checks of the numbers in an aggregate results file, with the bounds of sib.bounds.

Each check is (condition on the staged row, column, rule, message expression), as the
importer's other checks (outcomes.csv_import). A value the database function
outcomes_is_decimal / outcomes_is_count refuses gets the reason, not just "not a number":
"1e20" is written with an exponent, 2**70 participants is too many.
"""

from outcomes.plausibility import PLANNED_SIZE_FACTOR
from sib.bounds import MAX_COUNT, MAX_DECIMAL_INTEGER_DIGITS, MAX_DECIMAL_PLACES

Check = tuple[str, str, str, str]

_DIGITS = f"at most {MAX_DECIMAL_INTEGER_DIGITS} digits before the decimal point and "
_DIGITS += f"{MAX_DECIMAL_PLACES} after"


def number_checks(column: str, hint: str) -> list[Check]:
    """Checks of a decimal column (value, comparison_value); `hint` ends the last message."""
    parsed = "number" if column == "value" else "comparison"
    refused = f"{column} <> '' AND {parsed} IS NULL"
    exponent = rf"{column} ~ '^[+-]?\d+(\.\d*)?[eE][+-]?\d+$'"
    plain = rf"{column} ~ '^[+-]?\d+(\.\d+)?$'"
    return [
        (
            f"{refused} AND {exponent}",
            column,
            "not_a_number",
            f"format('%%L is written with an exponent: write the number in full, {_DIGITS}', "
            f"{column})",
        ),
        (
            f"{refused} AND {plain}",
            column,
            "out_of_bounds",
            f"format('%%L is out of bounds: {_DIGITS}', {column})",
        ),
        (
            f"{refused} AND NOT {exponent} AND NOT {plain}",
            column,
            "not_a_number",
            f"format('%%L is not a number{hint}', {column})",
        ),
    ]


def count_checks(column: str) -> list[Check]:
    """Checks of a count column (sample_size, comparison_sample_size)."""
    refused = f"{column} <> '' AND NOT outcomes_is_count({column})"
    digits = rf"{column} ~ '^\+?\d+$'"
    return [
        (
            f"{refused} AND {digits}",
            column,
            "out_of_bounds",
            f"format('%%L is too many: at most {MAX_COUNT:,} participants', {column})",
        ),
        (
            f"{refused} AND NOT {digits}",
            column,
            "not_a_count",
            f"format('%%L is not a whole number of participants', {column})",
        ),
    ]


def plausibility_checks() -> list[Check]:
    """The rules of outcomes.plausibility over an aggregate file (`%(over)s`: declared)."""
    limit = f"floor(planned_size * {PLANNED_SIZE_FACTOR})"
    above = (
        f"format('%%s is more than {PLANNED_SIZE_FACTOR} times the %%s participants planned "
        "for cohort %%L; if it is right, declare it on import (over_planned_size)', "
    )
    return [
        (
            "unit = 'participant_outcome' AND number <> trunc(number)",
            "value",
            "not_a_count",
            "format('metric %%L counts participants: %%s is not a whole number', metric, number)",
        ),
        (
            f"NOT %(over)s AND unit = 'participant_outcome' AND number = trunc(number) "
            f"AND number > {limit}",
            "value",
            "implausible_count",
            above + "number, planned_size, cohort)",
        ),
        (
            f"NOT %(over)s AND outcomes_is_count(sample_size) AND sample_size::bigint > {limit}",
            "sample_size",
            "implausible_count",
            above + "sample_size, planned_size, cohort)",
        ),
    ]


def mechanism_checks() -> list[Check]:
    """The rules of outcomes.plausibility.mechanism_value_errors over an aggregate file.

    A per-participant metric's fraction is already refused by plausibility_checks: not
    twice.
    """
    difference, rate = "kind = 'absolute_difference'", "kind = 'banded_rate'"
    whole = "AND unit <> 'participant_outcome' AND number <> trunc(number)"
    measured = "CASE WHEN outcomes_is_count(sample_size) THEN sample_size::bigint END"
    return [
        (
            f"{difference} AND comparison_value = ''",
            "comparison_value",
            "required",
            "format('metric %%L pays per unit of difference: give the comparison group''s "
            "count', metric)",
        ),
        (
            f"{difference} {whole}",
            "value",
            "not_a_count",
            "format('metric %%L pays per unit of difference: %%s is not a whole number', "
            "metric, number)",
        ),
        (
            f"{difference} AND comparison <> trunc(comparison)",
            "comparison_value",
            "not_a_count",
            "format('metric %%L pays per unit of difference: %%s is not a whole number', "
            "metric, comparison)",
        ),
        (
            f"{rate} AND (sample_size = '' OR {measured} = 0)",
            "sample_size",
            "required",
            "format('metric %%L pays on a rate: give the participants measured (sample_size), "
            "at least 1', metric)",
        ),
        (
            f"{rate} {whole}",
            "value",
            "not_a_count",
            "format('metric %%L pays on a rate: %%s participants is not a whole number', "
            "metric, number)",
        ),
        (
            f"{rate} AND number = trunc(number) AND number > {measured}",
            "value",
            "out_of_bounds",
            "format('%%s participants achieving is more than the %%s measured: a rate is at "
            "most 100 %%%%', number, sample_size)",
        ),
    ]


def implausible_cell_message(
    *, metric: str, cohort: str, period: str, rows: int, limit: int
) -> str:
    """The refusal of a participant file with more records in one cell than is plausible."""
    return (
        f"{rows:,} participant records for metric {metric!r}, cohort {cohort!r}, period "
        f"{period!r}: more than {PLANNED_SIZE_FACTOR} times the cohort's planned size "
        f"allows ({limit:,}); if it is right, declare it on import (over_planned_size)"
    )
