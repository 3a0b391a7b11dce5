"""The project's clock: one seam for "today" where a rule depends on it.

Rules such as "the ledger records what has happened, nothing dated after today" read the
date here, not from django.utils.timezone directly, so that tests can move it
(`frozen_today`), as Django's auth tokens do with their `_now()`. Production never
freezes it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from django.utils import timezone

_frozen: date | None = None


def today() -> date:
    """Return today's date in the project's time zone (or the frozen one, in tests)."""
    return _frozen if _frozen is not None else timezone.localdate()


@contextmanager
def frozen_today(day: date) -> Iterator[None]:
    """Make `today()` return `day` inside the block (tests only)."""
    global _frozen
    previous, _frozen = _frozen, day
    try:
        yield
    finally:
        _frozen = previous
