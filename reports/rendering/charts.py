"""
Build the report's charts as reportlab ``Drawing``s, for the PDF and the portal.

The builders take plain numbers and already-translated legend texts, so the
web portal can call them with its own (Django-translated) strings and turn the
result into SVG with ``drawing_to_svg``. Charts carry no title: the page that
shows one gives it a caption in its own language.

Masked counts are never drawn to scale: a masked bar is a dashed outline up to
the masking threshold with the masked text above it, so its height tells
nothing the label does not. Floats appear only as drawing coordinates; every
printed figure comes from exact integers or fractions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Drawing, Group, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.colors import Color
from reportlab.pdfbase.pdfmetrics import stringWidth

from reports.rendering.formatting import format_money, format_number, format_percent, typeset
from reports.rendering.masking import CountMask

Number = int | Fraction


_INK = colors.HexColor("#222222")
_GRID = colors.HexColor("#d9d9d9")
# Colour-blind-safe pair (Okabe-Ito blue and orange), then a neutral grey.
_SERIES = (colors.HexColor("#0072b2"), colors.HexColor("#e69f00"), colors.HexColor("#7f7f7f"))
_THRESHOLD = colors.HexColor("#c0392b")


@dataclass(frozen=True, slots=True)
class ChartStyle:
    """Fonts, size and colours shared by every chart."""

    font: str = "Helvetica"
    font_size: float = 7.5
    width: float = 470
    height: float = 200
    text: Color = _INK
    grid: Color = _GRID
    series: tuple[Color, ...] = _SERIES
    threshold: Color = _THRESHOLD


@dataclass(frozen=True, slots=True)
class BarValue:
    """One bar: its height, the text above it, and whether it is masked.

    A masked bar has ``value=None`` and is drawn as an outline up to
    ``masked_upper`` (the largest value the mask may hide).
    """

    value: Number | None
    text: str
    masked_upper: Number = 0


@dataclass(frozen=True, slots=True)
class _Plot:
    """Where the plotting area sits inside the drawing."""

    x: float
    y: float
    width: float
    height: float


def achieved_vs_target_chart(
    categories: Sequence[str],
    achieved: Sequence[int],
    targets: Sequence[int],
    *,
    lang: str,
    mask: CountMask,
    legend: tuple[str, str],
    hidden: Sequence[bool] = (),
    hidden_text: str = "",
    style: ChartStyle = ChartStyle(),
) -> Drawing:
    """Return grouped bars of achieved counts (masked as needed) vs targets.

    A count flagged in ``hidden`` (complementary suppression, reports.rendering.masking)
    draws no bar, only ``hidden_text``, and does not raise the scale: its height would
    give it back.
    """
    flags = list(hidden) or [False] * len(achieved)
    achieved_bars = [
        BarValue(None, hidden_text)
        if secret
        else BarValue(None, mask.masked_text(lang), mask.threshold)
        if mask.masks(count)
        else BarValue(count, mask.count(count, lang))
        for count, secret in zip(achieved, flags, strict=True)
    ]
    shown = [count for count, secret in zip(achieved, flags, strict=True) if not secret]
    # Targets are planned numbers, not people, so they are never masked.
    target_bars = [BarValue(t, format_number(t, lang)) for t in targets]
    masked_room = mask.threshold if any(mask.masks(a) for a in shown) else 0
    top = _nice_ceiling(max([*shown, *targets, masked_room, 1]))
    return _grouped_bar_chart(
        categories,
        [(legend[0], achieved_bars), (legend[1], target_bars)],
        top=top,
        tick_text=lambda v: format_number(int(v), lang),
        markers=None,
        marker_legend=None,
        style=style,
    )


def comparison_chart(
    categories: Sequence[str],
    treated: Sequence[tuple[int, int]],
    comparison: Sequence[tuple[int, int]],
    required: Sequence[Fraction | None],
    *,
    lang: str,
    mask: CountMask,
    legend: tuple[str, str, str],
    style: ChartStyle = ChartStyle(),
) -> Drawing:
    """Return treated vs comparison success rates with each cohort's threshold.

    ``treated`` and ``comparison`` hold (successes, group size) pairs;
    ``required`` is the rate the treated cohort must reach to trigger payment;
    None draws no mark (the caller hides it when it would unmask a count).
    """
    treated_bars = [_rate_bar(s, n, lang, mask) for s, n in treated]
    comparison_bars = [_rate_bar(s, n, lang, mask) for s, n in comparison]
    heights = [b.value if b.value is not None else b.masked_upper for b in treated_bars]
    heights += [b.value if b.value is not None else b.masked_upper for b in comparison_bars]
    marks = [r for r in required if r is not None]
    highest = min(max([*heights, *marks, Fraction(1, 10)]), Fraction(1))
    # Round up to the next 20 %, so the four gridlines fall on whole percents.
    top = min(Fraction(1), Fraction(int(highest * 5) + 1, 5))
    return _grouped_bar_chart(
        categories,
        [(legend[0], treated_bars), (legend[1], comparison_bars)],
        top=top,
        tick_text=lambda v: format_percent(v, lang, places=0),
        markers=list(required),
        marker_legend=legend[2],
        style=style,
    )


def cumulative_payments_chart(
    periods: Sequence[str],
    cumulative: Sequence[int],
    cap: int | None,
    *,
    currency: str,
    lang: str,
    legend: tuple[str, str],
    style: ChartStyle = ChartStyle(),
) -> Drawing:
    """Return a line of cumulative payments (minor units) against the cap (no cap line
    when the cap is unknown: a line drawn at 0 would say payments passed it)."""
    top = _nice_ceiling(max([*cumulative, cap or 0, 1]))
    drawing = Drawing(style.width, style.height)
    plot = _plot_area(style, y_label_width=_money_label_width(top, currency, lang, style))
    _draw_value_axis(drawing, plot, top, lambda v: format_money(int(v), currency, lang), style)
    n = len(periods)
    step = plot.width / max(n, 1)
    xs = [plot.x + step * (i + 0.5) for i in range(n)]
    _draw_category_labels(drawing, plot, periods, xs, step, style)
    if cap is not None:
        cap_y = plot.y + plot.height * float(Fraction(cap, top))
        drawing.add(
            Line(
                plot.x,
                cap_y,
                plot.x + plot.width,
                cap_y,
                strokeColor=style.threshold,
                strokeWidth=1.2,
                strokeDashArray=[4, 3],
            )
        )
    if xs:
        points: list[float] = []
        for x, value in zip(xs, cumulative, strict=True):
            points += [x, plot.y + plot.height * float(Fraction(value, top))]
        drawing.add(PolyLine(points, strokeColor=style.series[0], strokeWidth=1.8))
        for i in range(0, len(points), 2):
            drawing.add(
                Rect(
                    points[i] - 2,
                    points[i + 1] - 2,
                    4,
                    4,
                    fillColor=style.series[0],
                    strokeColor=None,
                )
            )
    keys = [(legend[0], style.series[0], "line")]
    if cap is not None:
        keys.append((legend[1], style.threshold, "dash"))
    _draw_legend(drawing, style, keys)
    return drawing


def investor_repayment_chart(
    investors: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    currency: str,
    lang: str,
    style: ChartStyle = ChartStyle(),
) -> Drawing:
    """Return grouped bars of money per investor, e.g. drawn, principal repaid, return paid.

    ``series`` holds (legend, amounts in minor units) pairs, up to three. Bars carry no
    figure: the schedule table beside the chart gives every amount to the cent.
    """
    top = _nice_ceiling(max([1, *(amount for _, amounts in series for amount in amounts)]))
    return _grouped_bar_chart(
        investors,
        [(name, [BarValue(amount, "") for amount in amounts]) for name, amounts in series],
        top=top,
        tick_text=lambda v: format_money(int(v), currency, lang),
        markers=None,
        marker_legend=None,
        style=style,
    )


def drawing_to_svg(drawing: Drawing) -> str:
    """Return ``drawing`` as a standalone SVG document (for the web portal)."""
    return renderSVG.drawToString(drawing)


def _rate_bar(successes: int, size: int, lang: str, mask: CountMask) -> BarValue:
    text = mask.rate(successes, size, lang)
    if text is None:
        # The most a masked numerator could be, over the group size.
        upper = Fraction(mask.threshold, size) if size else Fraction(0)
        return BarValue(None, mask.masked_text(lang), min(upper, Fraction(1)))
    return BarValue(Fraction(successes, size) if size else Fraction(0), text)


def _grouped_bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[BarValue]]],
    *,
    top: Number,
    tick_text: Callable[[Number], str],
    markers: Sequence[Fraction | None] | None,
    marker_legend: str | None,
    style: ChartStyle,
) -> Drawing:
    drawing = Drawing(style.width, style.height)
    widest_tick = max(
        stringWidth(typeset(tick_text(t)), style.font, style.font_size) for t in _ticks(top)
    )
    plot = _plot_area(style, y_label_width=widest_tick)
    _draw_value_axis(drawing, plot, top, tick_text, style)
    n = max(len(categories), 1)
    group = plot.width / n
    bar_width = min(34.0, group * 0.7 / len(series))
    centres = [plot.x + group * (i + 0.5) for i in range(len(categories))]
    _draw_category_labels(drawing, plot, categories, centres, group, style)
    value_size = style.font_size - 0.5
    value_labels: list[tuple[float, float, str]] = []
    for s, (_, bars) in enumerate(series):
        colour = style.series[s % len(style.series)]
        for i, bar in enumerate(bars):
            x = centres[i] - bar_width * len(series) / 2 + bar_width * s
            height_value = bar.value if bar.value is not None else bar.masked_upper
            h = plot.height * float(Fraction(height_value) / Fraction(top))
            if bar.value is None:
                drawing.add(
                    Rect(
                        x + 0.5,
                        plot.y,
                        bar_width - 1,
                        h,
                        fillColor=None,
                        strokeColor=colour,
                        strokeWidth=0.8,
                        strokeDashArray=[2, 2],
                    )
                )
            else:
                drawing.add(
                    Rect(x + 0.5, plot.y, bar_width - 1, h, fillColor=colour, strokeColor=None)
                )
            if bar.text:
                value_labels.append((x + bar_width / 2, plot.y + h + 2, typeset(bar.text)))
    entries: list[tuple[str, Color, str]] = [
        (name, style.series[s % len(style.series)], "box") for s, (name, _) in enumerate(series)
    ]
    if markers is not None and marker_legend is not None:
        for centre, level in zip(centres, markers, strict=True):
            if level is None:
                continue
            level = min(level, Fraction(top))
            y = plot.y + plot.height * float(level / Fraction(top))
            half = bar_width * len(series) / 2 + 4
            drawing.add(
                Line(
                    centre - half,
                    y,
                    centre + half,
                    y,
                    strokeColor=style.threshold,
                    strokeWidth=1.4,
                    strokeDashArray=[3, 2],
                )
            )
        entries.append((marker_legend, style.threshold, "dash"))
    # Labels go last, on a white ground, so threshold marks never strike
    # through a figure.
    for x, y, text in value_labels:
        width = stringWidth(text, style.font, value_size)
        drawing.add(
            Rect(
                x - width / 2 - 1,
                y - 1.5,
                width + 2,
                value_size + 1,
                fillColor=colors.white,
                strokeColor=None,
            )
        )
        drawing.add(
            String(
                x,
                y,
                text,
                fontName=style.font,
                fontSize=value_size,
                fillColor=style.text,
                textAnchor="middle",
            )
        )
    _draw_legend(drawing, style, entries)
    return drawing


def _plot_area(style: ChartStyle, *, y_label_width: float) -> _Plot:
    left = y_label_width + 8
    bottom = 2.6 * style.font_size + 6  # room for two lines of category labels
    top_room = style.font_size + 14  # legend
    return _Plot(left, bottom, style.width - left - 6, style.height - bottom - top_room)


def _draw_value_axis(
    drawing: Drawing,
    plot: _Plot,
    top: Number,
    tick_text: Callable[[Number], str],
    style: ChartStyle,
) -> None:
    for tick in _ticks(top):
        y = plot.y + plot.height * float(Fraction(tick) / Fraction(top))
        drawing.add(
            Line(plot.x, y, plot.x + plot.width, y, strokeColor=style.grid, strokeWidth=0.5)
        )
        drawing.add(
            String(
                plot.x - 4,
                y - style.font_size / 3,
                typeset(tick_text(tick)),
                fontName=style.font,
                fontSize=style.font_size,
                fillColor=style.text,
                textAnchor="end",
            )
        )
    drawing.add(
        Line(plot.x, plot.y, plot.x + plot.width, plot.y, strokeColor=style.text, strokeWidth=0.8)
    )


def _draw_category_labels(
    drawing: Drawing,
    plot: _Plot,
    labels: Sequence[str],
    centres: Sequence[float],
    room: float,
    style: ChartStyle,
) -> None:
    # Many periods on one axis would overprint: label every k-th one only.
    every = 1
    widest = max((stringWidth(typeset(t), style.font, style.font_size) for t in labels), default=0)
    while widest / 2 > room * every and every < len(labels):
        every += 1
    group = Group()
    for i, (text, x) in enumerate(zip(labels, centres, strict=True)):
        if i % every:
            continue
        lines = _fit_two_lines(typeset(text), room * every - 4, style)
        for n, line in enumerate(lines):
            group.add(
                String(
                    x,
                    plot.y - style.font_size - 3 - n * (style.font_size + 1),
                    line,
                    fontName=style.font,
                    fontSize=style.font_size,
                    fillColor=style.text,
                    textAnchor="middle",
                )
            )
    drawing.add(group)


def _fit_two_lines(text: str, width: float, style: ChartStyle) -> list[str]:
    if stringWidth(text, style.font, style.font_size) <= width or " " not in text:
        return [_truncate(text, width, style)]
    words = text.split(" ")
    first: list[str] = []
    while words and stringWidth(" ".join([*first, words[0]]), style.font, style.font_size) <= width:
        first.append(words.pop(0))
    if not first:
        first.append(words.pop(0))
    return [_truncate(" ".join(first), width, style), _truncate(" ".join(words), width, style)]


def _truncate(text: str, width: float, style: ChartStyle) -> str:
    if stringWidth(text, style.font, style.font_size) <= width:
        return text
    while text and stringWidth(text + "…", style.font, style.font_size) > width:
        text = text[:-1]
    return text + "…"


def _draw_legend(
    drawing: Drawing, style: ChartStyle, entries: Sequence[tuple[str, Color, str]]
) -> None:
    x = 8.0
    y = style.height - style.font_size - 4
    for raw, colour, kind in entries:
        text = typeset(raw)
        if kind == "box":
            drawing.add(Rect(x, y - 1, 9, 8, fillColor=colour, strokeColor=None))
        else:
            drawing.add(
                Line(
                    x,
                    y + 3,
                    x + 12,
                    y + 3,
                    strokeColor=colour,
                    strokeWidth=1.6,
                    strokeDashArray=[3, 2] if kind == "dash" else None,
                )
            )
        x += 16
        drawing.add(
            String(x, y, text, fontName=style.font, fontSize=style.font_size, fillColor=style.text)
        )
        x += stringWidth(text, style.font, style.font_size) + 14


def _money_label_width(top: int, currency: str, lang: str, style: ChartStyle) -> float:
    return max(
        stringWidth(typeset(format_money(int(t), currency, lang)), style.font, style.font_size)
        for t in _ticks(top)
    )


def _ticks(top: Number) -> list[Number]:
    """Return five evenly spaced ticks from 0 to ``top`` inclusive."""
    return [Fraction(top) * i / 4 if isinstance(top, Fraction) else top * i // 4 for i in range(5)]


def _nice_ceiling(value: int) -> int:
    """Return the smallest 4 * (1, 2, 2.5 or 5 * 10**n) that is >= ``value``."""
    magnitude = 1
    while True:
        for mantissa in (10, 20, 25, 50):
            step, rest = divmod(mantissa * magnitude, 10)
            if not rest and 4 * step >= value:
                return 4 * step
        magnitude *= 10
