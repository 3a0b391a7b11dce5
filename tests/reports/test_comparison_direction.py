"""Comparison metrics where a lower rate is better (re-offending): table, threshold, chart."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from reportlab.graphics.shapes import Drawing, Line, Rect

from reports.document import ComparisonResult, MetricSection
from reports.rendering import ManagerRenderer, PublicRenderer, render_report
from reports.rendering.charts import ChartStyle
from reports.services import report_render
from tests.reports.conftest import make_bond
from tests.reports.support import pdf_text
from tests.reports.test_rendering import demo_data

REOFFENDING = MetricSection(
    code="reoffending",
    name="Récidive à 12 mois",
    definition="Nouvelle condamnation dans les douze mois suivant la sortie.",
    mechanism="Paiement si la récidive baisse d’au moins 10 % par rapport au groupe témoin.",
    unit_price=None,
    results=(),
    comparisons=(
        # 24 % against 30 %: 20 % lower, beyond the 10 % threshold (at most 27 %).
        ComparisonResult("Cohorte 1", 24, 100, 30, 100, 1000, direction="lower_is_better"),
        # 28 % against 30 %: 6.7 % lower, short of it.
        ComparisonResult("Cohorte 2", 28, 100, 30, 100, 1000, direction="lower_is_better"),
        # 33 % against 30 %: worse.
        ComparisonResult("Cohorte 3", 33, 100, 30, 100, 1000, direction="lower_is_better"),
    ),
)


def with_metric(metric: MetricSection, edition: str = "public", language: str = "en"):  # type: ignore[no-untyped-def]
    data = demo_data(edition=edition, language=language)
    return dataclasses.replace(data, metrics=(metric,))


def flat(pdf: bytes) -> str:
    return " ".join(pdf_text(pdf).split())


@pytest.mark.parametrize("edition", ["public", "manager"])
def test_lower_is_better_reads_as_an_improvement_with_the_threshold_below(edition: str):
    text = flat(render_report(with_metric(REOFFENDING, edition)))
    assert "Cohorte 1 24 / 100 24.0% 30.0% +20.0% +10% (relative) yes" in text
    assert "Cohorte 2 28 / 100 28.0% 30.0% +6.7% +10% (relative) no" in text
    assert "Cohorte 3 33 / 100 33.0% 30.0% -10.0% +10% (relative) no" in text
    assert "For this metric a lower rate is better" in text
    assert "Measured rates (lower is better)" in text
    assert "Payment threshold (highest rate)" in text


def test_french_lower_is_better():
    text = flat(render_report(with_metric(REOFFENDING, language="fr")))
    assert "Cohorte 1 24 / 100 24,0 % 30,0 % +20,0 % +10 % (relatif) oui" in text
    assert "un taux plus bas est meilleur" in text


def test_higher_is_better_is_unchanged():
    higher = dataclasses.replace(
        REOFFENDING,
        comparisons=tuple(
            dataclasses.replace(c, direction="higher_is_better") for c in REOFFENDING.comparisons
        ),
    )
    text = flat(render_report(with_metric(higher)))
    assert "Cohorte 1 24 / 100 24.0% 30.0% -20.0% +10% (relative) no" in text
    assert "Cohorte 3 33 / 100 33.0% 30.0% +10.0% +10% (relative) yes" in text
    assert "lower is better" not in text


def _threshold_marks(drawing: Drawing, style: ChartStyle) -> list[float]:
    return [
        shape.y1
        for shape in drawing.contents
        if isinstance(shape, Line) and shape.strokeColor == style.threshold
        and shape.strokeWidth == 1.4
    ]  # fmt: skip


def _bar_tops(drawing: Drawing, colour) -> list[float]:  # type: ignore[no-untyped-def]
    rects = [s for s in drawing.contents if isinstance(s, Rect) and s.fillColor == colour]
    base = min(rect.y for rect in rects)  # bars stand on the axis; the legend box is above
    return [rect.y + rect.height for rect in rects if rect.y == base]


@pytest.mark.parametrize("renderer", [PublicRenderer, ManagerRenderer])
def test_chart_marks_the_highest_paying_rate_below_the_comparison_bar(renderer):  # type: ignore[no-untyped-def]
    edition = "public" if renderer is PublicRenderer else "manager"
    r = renderer(with_metric(REOFFENDING, edition))
    figure = r.comparison_figure(REOFFENDING.comparisons)
    drawing = next(f for f in figure._content if isinstance(f, Drawing))  # type: ignore[attr-defined]
    style = r.chart_style
    marks = _threshold_marks(drawing, style)
    treated = _bar_tops(drawing, style.series[0])
    comparison = _bar_tops(drawing, style.series[1])
    assert len(marks) == len(comparison) == len(treated) == 3
    base = min(shape.y for shape in drawing.contents if isinstance(shape, Rect)
               and shape.fillColor == style.series[1])  # fmt: skip
    for mark, bar in zip(marks, comparison, strict=True):
        # 27 % is nine tenths of the 30 % bar.
        assert mark < bar
        assert mark - base == pytest.approx((bar - base) * 0.9)
    # Only the first cohort's treated bar is at or below its mark.
    assert [top <= mark for top, mark in zip(treated, marks, strict=True)] == [True, False, False]


def test_threshold_met_is_masked_when_it_would_narrow_a_masked_count():
    # 5 of 100 is masked (1 to 10 could be hidden). Against 11 of 100 the most that pays
    # is 9.9 %: 1 to 9 would meet the threshold, 10 would not, so "yes" says it is not 10.
    close = ComparisonResult("Cohorte 1", 5, 100, 11, 100, 1000, direction="lower_is_better")
    # Against 30 of 100, every hidden count meets it: "yes" tells nothing.
    far = ComparisonResult("Cohorte 2", 5, 100, 30, 100, 1000, direction="lower_is_better")
    metric = dataclasses.replace(REOFFENDING, comparisons=(close, far))
    text = flat(render_report(with_metric(metric)))
    assert "Cohorte 1 < 11 / 100 masked 11.0% masked +10% (relative) masked" in text
    assert "Cohorte 2 < 11 / 100 masked 30.0% masked +10% (relative) yes" in text
    manager = flat(render_report(with_metric(metric, "manager")))
    assert "Cohorte 1 5 / 100 5.0% 11.0% +54.5% +10% (relative) yes" in manager


def test_the_direction_comes_from_the_metric_mechanism(db):
    from outcomes import services as outcomes

    bond = make_bond(slug="reoffending")
    outcomes.metric_create(
        programme=bond.programme,
        code="reoffending",
        name="Récidive à 12 mois",
        definition="Nouvelle condamnation dans les douze mois.",
        unit="percentage_improvement",
        mechanism={
            "kind": "comparison",
            "direction": "lower_is_better",
            "cohorts": ["c1", "c2"],
            "cohort_threshold": "0.10",
            "price_per_point": 10_000,
        },
        cohorts=["c1", "c2"],
        periods=["2026-h1", "2026-h2"],
    )
    bond.verify(
        "reoffending", "c1", "2026-h2", "0.24",
        comparison_value=Decimal("0.30"), sample_size=100, comparison_sample_size=100,
    )  # fmt: skip
    text = flat(report_render(programme=bond.programme, edition="public", language="en"))
    assert "a lower rate being better" in text
    assert "Cohorte 1 24 / 100 24.0% 30.0% +20.0% +10% (relative) yes" in text
