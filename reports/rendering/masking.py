"""
Hide small participant counts so that nobody can be singled out.

French practice for health data masks counts from 1 to 10: such a count is
shown as "< 11". Zero is shown as it is (it singles nobody out). A rate whose
numerator is masked is masked too, since 7 / 100 would give the 7 back.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

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
