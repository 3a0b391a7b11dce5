"""Translated names of the outcome codes, in the portal's own wording."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from outcomes.models import ResultState, ReviewVerdict, Stage

STAGE_LABELS: dict[str, Promise] = {Stage.INTERIM: _("Interim"), Stage.FINAL: _("Final")}

STATE_LABELS: dict[str, Promise] = {
    ResultState.SUBMITTED: _("Submitted, awaiting verification"),
    ResultState.VERIFIED: _("Verified"),
    ResultState.REJECTED: _("Rejected"),
    ResultState.SUPERSEDED: _("Superseded by an amendment"),
}

# What a result, once verified, does to another result of its cell (outcomes.cells.Effect).
CELL_EFFECT_LABELS: dict[str, Promise] = {
    "replaces": _("This final result replaces it for payment: it stops counting once verified."),
    "replaced": _("It is the final result of the cell: this interim result will not count."),
    "adds": _("Both count for payment: this one adds to it."),
    "supersedes": _("This amendment replaces it for payment: it stops counting once verified."),
}

VERDICT_LABELS: dict[str, Promise] = {
    ReviewVerdict.ACCEPTED: _("Accepted"),
    ReviewVerdict.DISPUTED: _("Disputed"),
}

# The CSV import's rules (docs/results-csv.md), explained to the person who fixes the file.
IMPORT_RULE_LABELS: dict[str, Promise] = {
    "encoding": _("The file is not UTF-8: save it as “CSV UTF-8”."),
    "empty_file": _("The file is empty."),
    "no_rows": _("The file has a header but no rows."),
    "separator": _("Separate the columns with a comma or a semicolon."),
    "identifier_column": _("This column looks like a direct identifier: remove it."),
    "missing_column": _("A required column is missing."),
    "unknown_column": _("Unknown column."),
    "repeated_column": _("This column appears twice."),
    "field_count": _("This row has more or fewer values than the header."),
    "line_too_long": _("This line is too long."),
    "csv_syntax": _("Broken quotes on this line."),
    "required": _("A value is needed here."),
    "unknown_metric": _("The programme has no metric with this code."),
    "unknown_cohort": _("The programme has no cohort with this code."),
    "unknown_period": _("The programme has no period with this code."),
    "cohort_not_for_metric": _("The metric is not measured for this cohort."),
    "period_not_for_metric": _("The metric is not measured in this period."),
    "not_rate_card": _("Participant records are only for metrics paid by rate card."),
    "bad_date": _("Not a date: write YYYY-MM-DD."),
    "future_date": _("This date is in the future."),
    "outside_period": _("This date is outside the measurement period."),
    "not_a_number": _("Not a number."),
    "negative": _("A negative number is not allowed."),
    "not_a_count": _("Not a whole number."),
    "out_of_bounds": _("Too large, or too many decimal places."),
    "implausible_count": _("More than the cohort's planned size allows: declare it if right."),
    "bad_stage": _("The stage is “interim” or “final”."),
    "duplicate_in_file": _("Already listed earlier in the file."),
    "duplicate_in_database": _("Already recorded in the ledger."),
    "interim_after_final": _("An interim result beside the cell's final one would never count."),
    "programme_closed": _("The programme takes no new results."),
    "control_character": _("The participant id contains a control character: remove it."),
    "unassigned_character": _("The participant id contains a character Unicode does not define."),
    "invisible_character": _("The participant id contains an invisible character: remove it."),
    "empty_after_normalising": _("The participant id has nothing visible in it."),
}
