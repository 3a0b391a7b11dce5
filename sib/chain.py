"""The per-programme hash chain: every ledger transaction and every verified result, in order.

    hash(n) = sha256(canonical bytes of entry n ‖ hash(n-1)),  hash(0) = 64 zeros

Each kind of chained record registers a `ChainKind` (see `chain_kind_register`), which
turns source rows into canonical bytes. Verification rebuilds those bytes from the source
rows themselves, so changing one byte of a stored transaction, leg or result (or of the
chain) breaks the chain at exactly that entry, and `ledger_verify` names it
(sib.chain_verification: the verifier).

Canonical bytes: `kind|object_id|` followed by the record's canonical JSON (sorted keys,
no spaces, integers for money, ISO dates), UTF-8.

Completeness (sib.chain_completeness): a deferred trigger refuses to commit a chained
record without its entry; a head record kept by a trigger names a removed tail; and
verification counts each kind's records against its entries (`ChainKind.records_sql`).
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import connection

from sib.models import ChainEntry, Programme

GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainKind:
    """How to rebuild canonical bytes for many records of one kind at once."""

    name: str
    # Given object ids (as stored in the chain), yield (object_id, canonical JSON text).
    load_canonical: Callable[[list[str]], Iterable[tuple[str, str]]]
    # Optional, for speed, for kinds whose object ids are integers: one SQL query selecting
    # (object_key bigint, canonical text) for every record of this kind in programme
    # %(programme_id)s (the placeholder may appear more than once), producing for each the
    # exact text load_canonical does for str(object_key); or a function of the server's
    # version (server_version_num) returning that SQL. It runs with DateStyle ISO. Let it
    # come out in object_key order (GROUP BY the primary key does): verification then merges
    # it with the chain, which it sorts the same way, without hashing or sorting it.
    canonical_sql: str | Callable[[int], str] | None = None
    # For completeness (sib.chain_completeness): one SQL query selecting `object_id` (text,
    # as the chain stores it) for every record of this kind in programme %(programme_id)s
    # that must be chained. Without it, records of this kind without an entry go unseen.
    records_sql: str | None = None
    # For the routine check (sib.chain_routine), which reads only the entries after a
    # verified checkpoint, by index. Optional: canonical_sql for only the records whose
    # object_key is in %(object_keys)s (a bigint[]); without it the loader rebuilds them.
    canonical_keys_sql: str | Callable[[int], str] | None = None
    # records_sql for only the records whose key is above %(after_key)s (bigint), selecting
    # `object_key` (bigint): the records created since the last check, found through the
    # index on the key (keys come from a sequence). Without it, the routine check cannot
    # tell a record of this kind without an entry (the full check still does).
    records_since_sql: str | None = None


_KINDS: dict[str, ChainKind] = {}


def chain_kind_register(kind: ChainKind) -> None:
    _KINDS[kind.name] = kind


def chain_kinds() -> dict[str, ChainKind]:
    """Return the registered kinds by name (verification rebuilds each kind's bytes)."""
    return _KINDS


def chain_canonical_texts(*, kind: str, object_ids: list[str]) -> dict[str, str]:
    """Return the canonical text of each record of `kind`, as its registered loader builds it."""
    loader = _KINDS.get(kind)
    if loader is None:
        return {}
    return {str(object_id): text for object_id, text in loader.load_canonical(object_ids)}


# Called with the programme after every append, inside the appending transaction: whatever
# depends on the chain head (payments: the schedule recompute, through the outbox) is
# queued here, once, rather than by every service that appends.
_MOVED: list[Callable[[Programme], None]] = []


def chain_moved_register(callback: Callable[[Programme], None]) -> None:
    """Have `callback(programme)` called in the transaction of every chain append."""
    if callback not in _MOVED:
        _MOVED.append(callback)


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
    # Appends to one programme's chain are serialised: two concurrent appends would
    # otherwise both read the same head and fork the chain. The lock is released at
    # commit, so the next appender reads the committed head.
    chain_lock(programme_id=programme.pk)
    head = (
        ChainEntry.objects.filter(programme=programme)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    seq, previous = (head[0] + 1, head[1]) if head else (1, GENESIS)
    object_id = str(object_id)
    entry = ChainEntry.objects.create(
        programme=programme,
        seq=seq,
        kind=kind,
        object_id=object_id,
        previous_hash=previous,
        hash=link_hash(entry_bytes(kind, object_id, canonical), previous),
        imported=imported or _importing.get(),
    )
    for callback in _MOVED:
        callback(programme)
    return entry


def chain_append_many(
    *,
    programme: Programme,
    kind: str,
    records: Sequence[tuple[str | int, str]],
    imported: bool = False,
) -> list[ChainEntry]:
    """Append many records, in order, to the programme's chain in one INSERT.

    The same entries, byte for byte, as `chain_append` called once per (object_id,
    canonical) in `records`: one lock, one read of the head, the hashes chained in Python
    with `entry_bytes` and `link_hash`, and the `chain_moved` callbacks called once. The
    head trigger (sib.0017) checks the statement's entries as a whole.
    """
    if kind not in _KINDS:
        raise ValueError(f"Unknown chain kind {kind!r}.")
    if not connection.in_atomic_block:
        raise RuntimeError("chain_append_many must run in the transaction that writes the records.")
    if not records:
        return []
    chain_lock(programme_id=programme.pk)
    head = (
        ChainEntry.objects.filter(programme=programme)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    seq, previous = (head[0], head[1]) if head else (0, GENESIS)
    imported = imported or _importing.get()
    entries = []
    for object_id, canonical in records:
        seq += 1
        object_id = str(object_id)
        digest = link_hash(entry_bytes(kind, object_id, canonical), previous)
        entries.append(
            ChainEntry(
                programme=programme,
                seq=seq,
                kind=kind,
                object_id=object_id,
                previous_hash=previous,
                hash=digest,
                imported=imported,
            )
        )
        previous = digest
    created = ChainEntry.objects.bulk_create(entries)
    for callback in _MOVED:
        callback(programme)
    return created


# Set while history from another system is loaded (payments.history_format): the services
# run as usual, and every entry they append says it was brought in, not recorded here.
_importing: ContextVar[bool] = ContextVar("chain_importing", default=False)


@contextmanager
def chain_importing() -> Iterator[None]:
    """Mark every chain entry appended inside the block as imported."""
    token = _importing.set(True)
    try:
        yield
    finally:
        _importing.reset(token)


_LOCK_NAMESPACE = 0x5C1B  # two-key advisory lock: (chain namespace, programme id)


def chain_lock(*, programme_id: int) -> None:
    """Hold the programme's chain lock until the current transaction ends.

    It is THE programme-level lock for work that appends to the chain or depends on its
    head (verification, posting, recomputing a schedule). Taking it instead of a row lock
    on the programme keeps one lock order everywhere: a verification holds a key-share
    lock on the programme row (its foreign key) when it reaches the chain, so a recompute
    that locked the row FOR UPDATE first and then the chain would deadlock with it.

    For the same reason the lock itself comes after a KEY SHARE lock on the programme row:
    a status change holds the row FOR UPDATE when it chains the new terms, so a recompute
    taking the chain first and then the row (its rows' foreign key) would deadlock with it.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("chain_lock only makes sense inside a transaction.")
    # Both statements in one round trip, still in that order: the client-side binding
    # cursor sends them as one query, which PostgreSQL runs statement by statement.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sib_programme WHERE id = %s FOR KEY SHARE;"
            " SELECT pg_advisory_xact_lock(%s, %s)",
            [programme_id, _LOCK_NAMESPACE, programme_id],
        )


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
