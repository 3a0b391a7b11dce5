"""The per-programme hash chain: every ledger transaction and every verified result, in order.

    hash(n) = sha256(canonical bytes of entry n ‖ hash(n-1)),  hash(0) = 64 zeros

Each kind of chained record registers a `ChainKind` (see `chain_kind_register`), which
turns source rows into canonical bytes. Verification rebuilds those bytes from the source
rows themselves, so changing one byte of a stored transaction, leg or result (or of the
chain) breaks the chain at exactly that entry, and `ledger_verify` names it.

Canonical bytes: `kind|object_id|` followed by the record's canonical JSON (sorted keys,
no spaces, integers for money, ISO dates), UTF-8.
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection

from sib.models import ChainEntry, Programme

GENESIS = "0" * 64
_VERIFY_BATCH = 20_000


@dataclass(frozen=True)
class ChainKind:
    """How to rebuild canonical bytes for many records of one kind at once."""

    name: str
    # Given object ids (as stored in the chain), yield (object_id, canonical JSON text).
    load_canonical: Callable[[list[str]], Iterable[tuple[str, str]]]


_KINDS: dict[str, ChainKind] = {}


def chain_kind_register(kind: ChainKind) -> None:
    _KINDS[kind.name] = kind


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_bytes(kind: str, object_id: str, canonical: str) -> bytes:
    return f"{kind}|{object_id}|{canonical}".encode()


def link_hash(data: bytes, previous_hash: str) -> str:
    return hashlib.sha256(data + previous_hash.encode("ascii")).hexdigest()


def chain_append(
    *,
    programme: Programme,
    kind: str,
    object_id: str | int,
    canonical: str,
    imported: bool = False,
) -> ChainEntry:
    """Append one record to its programme's chain; call inside the record's own transaction."""
    if kind not in _KINDS:
        raise ValueError(f"Unknown chain kind {kind!r}.")
    if not connection.in_atomic_block:
        raise RuntimeError("chain_append must run in the transaction that writes the record.")
    with connection.cursor() as cursor:
        # Appends to one programme's chain are serialised: two concurrent appends would
        # otherwise both read the same head and fork the chain. The lock is released at
        # commit, so the next appender reads the committed head.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, programme.pk])
    head = (
        ChainEntry.objects.filter(programme=programme)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    seq, previous = (head[0] + 1, head[1]) if head else (1, GENESIS)
    object_id = str(object_id)
    return ChainEntry.objects.create(
        programme=programme,
        seq=seq,
        kind=kind,
        object_id=object_id,
        previous_hash=previous,
        hash=link_hash(entry_bytes(kind, object_id, canonical), previous),
        imported=imported,
    )


_LOCK_NAMESPACE = 0x5C1B  # two-key advisory lock: (chain namespace, programme id)


def chain_head(*, programme_id: int) -> str:
    """Return the hash of the programme's last chain entry (64 zeros when empty)."""
    head = (
        ChainEntry.objects.filter(programme_id=programme_id)
        .order_by("-seq")
        .values_list("hash", flat=True)
        .first()
    )
    return head or GENESIS


def chain_contains(*, programme_id: int, hash_value: str) -> ChainEntry | None:
    """Return the chain entry whose hash this is: a state of this programme's ledger."""
    return ChainEntry.objects.filter(programme_id=programme_id, hash=hash_value).first()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    kind: str
    object_id: str
    reason: str


@dataclass(frozen=True)
class ChainVerification:
    programme_id: int
    entries: int
    head: str
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def chain_verify(*, programme_id: int) -> ChainVerification:
    """Recompute the programme's chain from the source records; report the first break."""
    previous = GENESIS
    count = 0
    expected_seq = 1
    for batch in _entry_batches(programme_id):
        canonical = _load_canonical(batch)
        for seq, kind, object_id, stored_previous, stored_hash in batch:
            count += 1
            if seq != expected_seq:
                return _broken(
                    programme_id,
                    count,
                    previous,
                    seq,
                    kind,
                    object_id,
                    f"sequence gap: expected {expected_seq}",
                )
            expected_seq += 1
            if stored_previous != previous:
                return _broken(
                    programme_id,
                    count,
                    previous,
                    seq,
                    kind,
                    object_id,
                    "previous hash does not match the entry before",
                )
            text = canonical.get((kind, object_id))
            if text is None:
                return _broken(
                    programme_id,
                    count,
                    previous,
                    seq,
                    kind,
                    object_id,
                    "the chained record is missing",
                )
            if link_hash(entry_bytes(kind, object_id, text), previous) != stored_hash:
                return _broken(
                    programme_id,
                    count,
                    previous,
                    seq,
                    kind,
                    object_id,
                    "hash mismatch: the record or the chain entry was changed",
                )
            previous = stored_hash
    return ChainVerification(programme_id, count, previous, None)


def _broken(
    programme_id: int, count: int, head: str, seq: int, kind: str, object_id: str, reason: str
) -> ChainVerification:
    return ChainVerification(programme_id, count, head, ChainBreak(seq, kind, object_id, reason))


def _entry_batches(programme_id: int) -> Iterator[list[tuple[int, str, str, str, str]]]:
    last_seq = 0
    while True:
        batch = list(
            ChainEntry.objects.filter(programme_id=programme_id, seq__gt=last_seq)
            .order_by("seq")
            .values_list("seq", "kind", "object_id", "previous_hash", "hash")[:_VERIFY_BATCH]
        )
        if not batch:
            return
        yield batch
        last_seq = batch[-1][0]


def _load_canonical(batch: list[tuple[int, str, str, str, str]]) -> dict[tuple[str, str], str]:
    by_kind: dict[str, list[str]] = {}
    for _seq, kind, object_id, _prev, _hash in batch:
        by_kind.setdefault(kind, []).append(object_id)
    out: dict[tuple[str, str], str] = {}
    for kind, ids in by_kind.items():
        loader = _KINDS.get(kind)
        if loader is None:
            continue
        for object_id, text in loader.load_canonical(ids):
            out[(kind, str(object_id))] = text
    return out
