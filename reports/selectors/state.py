"""The state a report covers: the first `seq` entries of a programme's hash chain."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from sib.chain import GENESIS
from sib.models import ChainEntry, Programme

# Chain kinds the report selectors read (registered by outcomes.chain_kinds and
# payments.ledger).
DECISION = "outcomes.decision"
AMENDMENT = "outcomes.amendment"
REVIEW = "outcomes.review"
LEDGER = "ledger_transaction"


@dataclass(frozen=True, slots=True)
class ChainState:
    """The first `seq` entries of a programme's chain, ending at `head`, dated `on`."""

    seq: int
    head: str
    on: date


def chain_state(*, programme: Programme, head: str | None = None) -> ChainState:
    """Return the current state of the programme's chain, or the state ending at `head`.

    Raises ChainEntry.DoesNotExist when `head` is not a state of this programme.
    """
    entries = ChainEntry.objects.filter(programme=programme)
    entry: ChainEntry | None = None
    if head is not None and head != GENESIS:
        entry = entries.get(hash=head)
    elif head is None:
        entry = entries.order_by("-seq").first()
    if entry is None:
        # An empty chain: the state of a programme just set up, dated when it was created.
        return ChainState(0, GENESIS, timezone.localdate(programme.created_at))
    return ChainState(entry.seq, entry.hash, timezone.localdate(entry.created_at))


def chained_ids(programme_id: int, seq: int, kinds: Iterable[str]) -> dict[str, list[int]]:
    """Return the ids of the objects chained at or before entry `seq`, by chain kind."""
    rows = ChainEntry.objects.filter(
        programme_id=programme_id, seq__lte=seq, kind__in=list(kinds)
    ).values_list("kind", "object_id")
    out: dict[str, list[int]] = defaultdict(list)
    for kind, object_id in rows:
        out[kind].append(int(object_id))
    return out
