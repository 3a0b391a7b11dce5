"""
Hide small participant counts so that nobody can be singled out.

French practice for health data masks counts from 1 to 10: such a count is
shown as "< 11". Zero is shown as it is (it singles nobody out). A rate whose
numerator is masked is masked too, since 7 / 100 would give the 7 back.

A masked count must not come back by subtraction either: the report prints
totals (verified outcomes overall; outcome payments per period, which for a
rate card are price x count). `hidden_counts` adds complementary suppression:
in every group of counts whose total a reader can learn, it hides further
counts until no hidden one can be worked out from that total. Every count
hidden this way is then shown as plainly "masked", without "< 11", since
telling the small ones from their companions would narrow them again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from reports.document import MetricSection
from reports.rendering.formatting import NBSP, format_number, format_percent

DEFAULT_MASK_THRESHOLD = 10


@dataclass(frozen=True, slots=True)
class CountMask:
    """Decide and display which participant counts are masked."""

    threshold: int = DEFAULT_MASK_THRESHOLD

    def masks(self, count: int) -> bool:
        """Return True when ``count`` must not be shown."""
        if count < 0:
            raise ValueError(f"a participant count cannot be negative: {count}")
        return 1 <= count <= self.threshold

    def masked_text(self, lang: str) -> str:
        """Return what a masked count shows instead: "< 11"."""
        # No-break space: "<" alone at a line end would read as garbage.
        return f"<{NBSP}{format_number(self.threshold + 1, lang)}"

    def count(self, count: int, lang: str) -> str:
        """Return ``count`` formatted, or the masked text."""
        if self.masks(count):
            return self.masked_text(lang)
        return format_number(count, lang)

    def rate(self, numerator: int, denominator: int, lang: str) -> str | None:
        """Return numerator / denominator as a percentage, or None if masked."""
        if self.masks(numerator) or self.masks(denominator):
            return None
        if denominator == 0:
            return "—"
        return format_percent(Fraction(numerator, denominator), lang)


# The manager edition shows exact counts: its readers run the programme.
NO_MASK = CountMask(threshold=0)


def hidden_counts[Key: Hashable](
    counts: Mapping[Key, int],
    groups: Iterable[Collection[Key]],
    mask: CountMask,
) -> frozenset[Key]:
    """Return the counts to hide: the small ones, and their companions in each group.

    A reader who knows a group's total knows the sum S of its n hidden counts, and that
    each is at least 1 (zeros are shown), so each lies in [1, S - n + 1]. That range must
    still cover every count the mask hides: n >= 2 and S - n + 1 >= threshold. Until it
    does, the group's smallest shown non-zero count is hidden too (the first in the
    group's order on a tie), and the groups are checked again, since one count sits in
    several. A group whose other counts are all zero cannot be protected by the tables:
    its total alone gives its count away (docs/reports.md says so).
    """
    if mask.threshold == 0:
        return frozenset()
    hidden = {key for key, count in counts.items() if mask.masks(count)}
    frozen_groups = [tuple(group) for group in groups]
    changed = True
    while changed:
        changed = False
        for group in frozen_groups:
            inside = [counts[key] for key in group if key in hidden]
            while inside and not _covers(inside, mask.threshold):
                shown = [key for key in group if key not in hidden and counts[key] > 0]
                if not shown:
                    break
                companion = min(shown, key=lambda key: counts[key])
                hidden.add(companion)
                inside.append(counts[companion])
                changed = True
    return frozenset(hidden)


def _covers(hidden: list[int], threshold: int) -> bool:
    return len(hidden) >= 2 and sum(hidden) - len(hidden) + 1 >= threshold


def hidden_results(metrics: Sequence[MetricSection], mask: CountMask) -> frozenset[tuple[str, int]]:
    """Return (metric code, row) of every results-table count to hide.

    The small counts, and their companions wherever a total the report prints would give
    one back: the verified outcomes of the summary (every row), and the outcome payments
    of a period (for a rate card, price x the rows of one metric, period and stage).
    The public report and the portal's outcomes page hide the same counts.
    """
    counts: dict[tuple[str, int], int] = {}
    groups: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
    for metric in metrics:
        for row, result in enumerate(metric.results):
            key = (metric.code, row)
            counts[key] = result.achieved
            groups[(metric.code, result.period, result.status)].append(key)
    return hidden_counts(counts, [*groups.values(), list(counts)], mask)
