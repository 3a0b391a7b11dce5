"""Lay out a comparison metric: treated vs comparison rates, improvement, threshold.

The payment rule compares a cohort's rate with a counterfactual group's: it pays when
the improvement (relative, or in points) reaches the threshold, lower rates being better
for some metrics. Masked counts stay masked here too, and so does anything that would
narrow one down (the threshold mark, whether it was met).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction

from reportlab.platypus import Flowable

from reports.document import ComparisonResult
from reports.rendering.base import ReportRenderer
from reports.rendering.charts import comparison_chart
from reports.rendering.formatting import format_percent, format_points


class ComparisonSections(ReportRenderer):
    """The comparison table and chart of a metric, for the editions that print them."""

    def comparison_table(self, comparisons: Sequence[ComparisonResult]) -> Flowable:
        """Return treated vs comparison rates, improvement and threshold."""
        rows = []
        for c in comparisons:
            treated = self.mask.rate(c.treated_successes, c.treated_size, self.lang)
            control = self.mask.rate(c.comparison_successes, c.comparison_size, self.lang)
            shown = treated is not None and control is not None
            rows.append(
                [
                    c.cohort,
                    f"{self.mask.count(c.treated_successes, self.lang)} / "
                    f"{self.mask.count(c.treated_size, self.lang)}",
                    treated or self.t("masked"),
                    control or self.t("masked"),
                    self.improvement_text(c) if shown else self.t("masked"),
                    self.threshold_text(c),
                    self.threshold_met_text(c),
                ]
            )
        return self.table(
            [
                self.t("cohort"),
                self.t("treated"),
                self.t("treated_rate"),
                self.t("comparison_rate"),
                self.t("improvement"),
                self.t("threshold"),
                self.t("threshold_met"),
            ],
            rows,
            [0.17, 0.15, 0.12, 0.12, 0.15, 0.17, 0.12],
            numeric=[1, 2, 3, 4, 5],
        )

    def threshold_met_text(self, c: ComparisonResult) -> str:
        """Return "yes" or "no", or the masked text when it would narrow a masked count."""
        met = _threshold_met(c)
        if self.mask.masks(c.treated_successes):
            # Met for some of the counts the mask hides and not for others: saying which
            # would tell the count apart within the masked range.
            hidden = range(1, self.mask.threshold + 1)
            if any(_threshold_met(replace(c, treated_successes=n)) != met for n in hidden):
                return self.t("masked")
        return self.t("yes") if met else self.t("no")

    def comparison_figure(self, comparisons: Sequence[ComparisonResult]) -> Flowable:
        """Return the chart of treated vs comparison rates with thresholds.

        The mark is the treated rate that reaches the threshold: the least that
        pays, or for a lower-is-better metric the most that pays.
        """
        lower = lower_is_better(comparisons)
        required: list[Fraction | None] = []
        for c in comparisons:
            # The threshold mark sits at a level derived from the comparison
            # rate: drawing it for a masked comparison would unmask it.
            hidden = self.mask.rate(c.comparison_successes, c.comparison_size, self.lang) is None
            required.append(None if hidden else _required_rate(c))
        drawing = comparison_chart(
            [c.cohort for c in comparisons],
            [(c.treated_successes, c.treated_size) for c in comparisons],
            [(c.comparison_successes, c.comparison_size) for c in comparisons],
            required,
            lang=self.lang,
            mask=self.mask,
            legend=(
                self.t("treated_rate"),
                self.t("comparison_rate"),
                self.t("required_rate_lower" if lower else "required_rate"),
            ),
            style=self.chart_style,
        )
        title = "chart_comparison_title_lower" if lower else "chart_comparison_title"
        return self.figure(self.t(title), drawing)

    def improvement_text(self, c: ComparisonResult) -> str:
        """Return the improvement in the threshold's own basis, positive when better.

        For a lower-is-better metric that is how far the treated rate is below
        the comparison rate, as the payment rules measure it.
        """
        treated = _rate(c.treated_successes, c.treated_size)
        control = _rate(c.comparison_successes, c.comparison_size)
        gain = control - treated if c.direction == "lower_is_better" else treated - control
        if c.threshold_basis == "points":
            return format_points(gain, self.lang)
        if control == 0:
            return "—"
        return _signed(format_percent(gain / control, self.lang))

    def threshold_text(self, c: ComparisonResult) -> str:
        """Return the threshold, e.g. "+10 pts" or "+10 % (relative)"."""
        value = Fraction(c.threshold_bp, 10_000)
        if c.threshold_basis == "points":
            return format_points(value, self.lang)
        return self.t("threshold_relative").format(
            value=_signed(format_percent(value, self.lang, places=0))
        )


def _rate(successes: int, size: int) -> Fraction:
    return Fraction(successes, size) if size else Fraction(0)


def lower_is_better(comparisons: Sequence[ComparisonResult]) -> bool:
    """Return whether a lower rate is the better one for these comparisons."""
    # One metric has one direction; its comparisons all carry it.
    return any(c.direction == "lower_is_better" for c in comparisons)


def _required_rate(c: ComparisonResult) -> Fraction:
    """Return the treated rate that reaches the payment threshold.

    The least that pays, or, when lower is better, the most that pays: below the
    comparison rate by the threshold (never below zero).
    """
    control = _rate(c.comparison_successes, c.comparison_size)
    threshold = Fraction(c.threshold_bp, 10_000)
    if c.direction == "lower_is_better":
        if c.threshold_basis == "points":
            return max(control - threshold, Fraction(0))
        return max(control * (1 - threshold), Fraction(0))
    if c.threshold_basis == "points":
        return control + threshold
    return control * (1 + threshold)


def _threshold_met(c: ComparisonResult) -> bool:
    treated = _rate(c.treated_successes, c.treated_size)
    if c.direction == "lower_is_better":
        return treated <= _required_rate(c)
    return treated >= _required_rate(c)


def _signed(text: str) -> str:
    return text if text.startswith("-") else "+" + text
