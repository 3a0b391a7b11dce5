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
from binascii import hexlify
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from psycopg import ClientCursor, sql

from sib.models import ChainEntry, Programme

GENESIS = "0" * 64
_VERIFY_BATCH = 20_000


@dataclass(frozen=True)
class ChainKind:
    """How to rebuild canonical bytes for many records of one kind at once."""

    name: str
    # Given object ids (as stored in the chain), yield (object_id, canonical JSON text).
    load_canonical: Callable[[list[str]], Iterable[tuple[str, str]]]
    # Optional, for speed: one SQL query selecting (object_id text, canonical text) for every
    # record of this kind in programme %(programme_id)s, producing exactly the text
    # load_canonical does. Verification then streams all such kinds in one query.
    canonical_sql: str | None = None


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
    return ChainEntry.objects.create(
        programme=programme,
        seq=seq,
        kind=kind,
        object_id=object_id,
        previous_hash=previous,
        hash=link_hash(entry_bytes(kind, object_id, canonical), previous),
        imported=imported or _importing.get(),
    )


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
    """
    if not connection.in_atomic_block:
        raise RuntimeError("chain_lock only makes sense inside a transaction.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, programme_id])


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
    """Recompute the programme's chain from the source records; report the first break.

    Recomputing hash(n) from hash(n-1) for every n is the same as two checks that each
    look at one entry at a time, which lets PostgreSQL read the rows in its cheapest order:
    1. links: entries are numbered 1..n without gaps and each stores, as previous hash,
       the stored hash of the entry before it (64 zeros for the first): one ordered pass;
    2. hashes: each stored hash is sha256(canonical bytes rebuilt from the source record ‖
       the entry's stored previous hash). Kinds with `canonical_sql` are checked by one
       streamed query (the canonical text is built by PostgreSQL); others by their loader.
    The first break reported is the lowest seq failing either check.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), (SELECT hash FROM sib_chain_entry WHERE programme_id = %s "
            "ORDER BY seq DESC LIMIT 1) FROM sib_chain_entry WHERE programme_id = %s",
            [programme_id, programme_id],
        )
        count, head = cursor.fetchone()
        breaks = [b for b in (_link_break(cursor, programme_id),) if b is not None]
        first_bad = breaks[0].seq if breaks else None
        sql_kinds = sorted(name for name, kind in _KINDS.items() if kind.canonical_sql)
        bad_seq, missing = _hash_check_sql(programme_id, sql_kinds, below=first_bad)
        if bad_seq is not None:
            breaks.append(_entry_break(cursor, programme_id, bad_seq, missing))
            first_bad = min(b.seq for b in breaks)
        loader_break = _hash_check_loaders(programme_id, sql_kinds, below=first_bad)
        if loader_break is not None:
            breaks.append(loader_break)
    if not breaks:
        return ChainVerification(programme_id, count, head or GENESIS, None)
    first = min(breaks, key=lambda b: b.seq)
    return ChainVerification(programme_id, count, head or GENESIS, first)


_MISMATCH = "hash mismatch: the record or the chain entry was changed"
_MISSING = "the chained record is missing"


def _link_break(cursor: Any, programme_id: int) -> ChainBreak | None:
    cursor.execute(
        """
        SELECT seq, kind, object_id, position FROM (
            SELECT seq, kind, object_id, previous_hash,
                   lag(hash, 1, %s) OVER w AS expected_previous,
                   row_number() OVER w AS position
              FROM sib_chain_entry WHERE programme_id = %s
            WINDOW w AS (ORDER BY seq)
        ) e
        WHERE seq <> position OR previous_hash <> expected_previous
        ORDER BY seq LIMIT 1
        """,
        [GENESIS, programme_id],
    )
    row = cursor.fetchone()
    if row is None:
        return None
    seq, kind, object_id, position = row
    if seq != position:
        return ChainBreak(seq, kind, object_id, f"sequence gap: expected {position}")
    return ChainBreak(seq, kind, object_id, "previous hash does not match the entry before")


def _entry_break(cursor: Any, programme_id: int, seq: int, missing: bool) -> ChainBreak:
    cursor.execute(
        "SELECT kind, object_id FROM sib_chain_entry WHERE programme_id = %s AND seq = %s",
        [programme_id, seq],
    )
    kind, object_id = cursor.fetchone()
    return ChainBreak(seq, kind, object_id, _MISSING if missing else _MISMATCH)


def _hash_check_sql(
    programme_id: int, kinds: list[str], *, below: int | None
) -> tuple[int | None, bool]:
    """Return (lowest seq whose hash is wrong, whether its record is missing) for SQL kinds."""
    if not kinds:
        return None, False
    # The fragments are code registered by apps (ChainKind.canonical_sql), never user input.
    sources = " UNION ALL ".join(
        f"SELECT {sql.Literal(name).as_string()}::text AS kind, f.object_id, f.canonical "  # noqa: S608
        f"FROM ({_KINDS[name].canonical_sql}) f"
        for name in kinds
    )
    params = {"programme_id": programme_id, "kinds": kinds}
    # One pass in no particular order: PostgreSQL hashes the chain entries and streams the
    # canonical rows past them. Each row carries the exact bytes to hash, so Python only
    # hashes and compares; rows come through COPY so the server keeps producing meanwhile.
    query = f"""
        SELECT c.seq,
               convert_to(c.kind || '|' || c.object_id || '|' || k.canonical
                          || c.previous_hash, 'UTF8'),
               convert_to(c.hash, 'UTF8')
          FROM sib_chain_entry c
          LEFT JOIN ({sources}) k ON k.kind = c.kind AND k.object_id = c.object_id
         WHERE c.programme_id = %(programme_id)s AND c.kind = ANY(%(kinds)s)
    """  # noqa: S608
    with ClientCursor(connection.connection) as cursor:
        # Hash joins in memory; and never a nested loop: with statistics not yet gathered
        # after a bulk load, the planner guesses one row and loops a million times.
        # set_config(..., true) is SET LOCAL; the old values are put back after the COPY,
        # because SET LOCAL outlives our savepoint and would slow every later query of a
        # caller's transaction (the deferred balance trigger became 50x slower).
        cursor.execute(
            "SELECT current_setting('work_mem'), current_setting('enable_nestloop'), "
            "set_config('work_mem', '256MB', true), set_config('enable_nestloop', 'off', true)"
        )
        settings_row = cursor.fetchone()
        assert settings_row is not None  # a SELECT without FROM returns one row
        work_mem, enable_nestloop, _, _ = settings_row
        copy_sql = cursor.mogrify(query, params)  # COPY takes no bind parameters
        sha256 = hashlib.sha256
        bad: int | None = below
        missing = False
        with cursor.copy(f"COPY ({copy_sql}) TO STDOUT (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "bytea", "bytea"])
            for seq, data, stored in copy.rows():
                if data is None:
                    if bad is None or seq < bad:
                        bad, missing = seq, True
                elif hexlify(sha256(data).digest()) != stored and (bad is None or seq < bad):
                    bad, missing = seq, False
        cursor.execute(
            "SELECT set_config('work_mem', %s, true), set_config('enable_nestloop', %s, true)",
            [work_mem, enable_nestloop],
        )
    if bad == below:
        return None, False
    return bad, missing


def _hash_check_loaders(
    programme_id: int, sql_kinds: list[str], *, below: int | None
) -> ChainBreak | None:
    """Check entries of kinds without SQL through their loaders, in batches, in seq order."""
    last_seq = 0
    while True:
        entries = ChainEntry.objects.filter(programme_id=programme_id, seq__gt=last_seq).exclude(
            kind__in=sql_kinds
        )
        if below is not None:
            entries = entries.filter(seq__lt=below)
        batch = list(
            entries.order_by("seq").values_list(
                "seq", "kind", "object_id", "previous_hash", "hash"
            )[:_VERIFY_BATCH]
        )
        if not batch:
            return None
        canonical = _load_canonical(batch)
        for seq, kind, object_id, stored_previous, stored_hash in batch:
            text = canonical.get((kind, object_id))
            if text is None:
                return ChainBreak(seq, kind, object_id, _MISSING)
            if link_hash(entry_bytes(kind, object_id, text), stored_previous) != stored_hash:
                return ChainBreak(seq, kind, object_id, _MISMATCH)
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
