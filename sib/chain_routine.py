"""The routine chain check: only what came after the last verified checkpoint.

A full check (sib.chain_verification) rebuilds every record of a programme; its time grows
with the chain. Once a check has found the chain whole up to seq n and the ledger has
signed a checkpoint of entry n's hash (sib.checkpoints), what is left to check is:

1. the start: the entry at seq n still has the checkpoint's head (one index lookup; the
   signature proves what the head was). Its hash covers every entry before it, so nothing
   before n can have been changed *through the chain* without this failing;
2. the entries after n, read by index on (programme, seq) in batches: they follow one
   another from the checkpoint's head, and each matches its record, rebuilt from the
   records themselves (by id: `ChainKind.canonical_keys_sql`, else the kind's loader);
3. completeness since: the records created since the last check (keys above the highest
   key that check saw: `ChainKind.records_since_sql`, by index) each have an entry, and
   the chain ends at its head record (sib.chain_completeness).

Its time grows with the entries added since, not with the chain. What it does not see,
by construction: a *record* changed before the checkpoint (its entry is untouched, so the
hashes still link) and a record inserted by hand with a key below the last check's. Both
are the full check's, which runs on a longer schedule and on demand (docs/operations.md).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from sib.chain import ChainKind, chain_kinds, entry_bytes, link_hash
from sib.chain_completeness import NO_ENTRY, ChainBreak, chain_head_gaps

_BATCH = 20_000
_NAMED_PER_KIND = 10
MISMATCH = "hash mismatch: the record or the chain entry was changed"
MISSING = "the chained record is missing"
START_MOVED = (
    "the entry at the checkpoint's position no longer has the head the checkpoint signed: "
    "the chain was changed at or before it; a full check is needed"
)

Entry = tuple[int, str, str, str, str]  # seq, kind, object_id, previous hash, hash


@dataclass(frozen=True)
class RoutineVerification:
    programme_id: int
    from_seq: int  # the checkpoint's seq: entries after it were checked
    to_seq: int  # the last entry checked (from_seq when none was added)
    entries: int  # entries checked
    head: str  # the hash of entry to_seq
    first_break: ChainBreak | None
    gaps: tuple[ChainBreak, ...] = ()
    # Per kind, the highest record key seen: the next routine check looks above it.
    record_keys: dict[str, int] = field(default_factory=dict)
    # The entry at from_seq no longer has the checkpoint's head: nothing after was checked.
    start_moved: bool = False

    @property
    def ok(self) -> bool:
        return self.first_break is None and not self.gaps


def chain_record_keys(*, programme_id: int) -> dict[str, int]:
    """Return, per kind that can say, the highest key among the programme's records.

    Taken by a full check before it reads the chain: the records above it are the next
    routine check's to account for.
    """
    keys: dict[str, int] = {}
    with connection.cursor() as cursor:
        for name, kind in sorted(chain_kinds().items()):
            if kind.records_since_sql:
                # The app's own SQL (ChainKind.records_since_sql), never user input.
                cursor.execute(
                    f"SELECT max(r.object_key) FROM ({kind.records_since_sql}) r",  # noqa: S608
                    {"programme_id": programme_id, "after_key": 0},
                )
                keys[name] = cursor.fetchone()[0] or 0
    return keys


def chain_verify_since(
    *, programme_id: int, from_seq: int, from_head: str, record_keys: dict[str, int]
) -> RoutineVerification:
    """Check the programme's chain after entry `from_seq`, whose hash must be `from_head`.

    `from_head` is a signed checkpoint's head (the caller checks the signature) and
    `record_keys` what the check that verified it saw (`chain_record_keys`, or a routine
    check's `record_keys`).
    """
    kinds = chain_kinds()
    with transaction.atomic(), connection.cursor() as cursor:
        start = _start_moved(cursor, programme_id, from_seq, from_head)
        if start is not None:
            return RoutineVerification(
                programme_id, from_seq, from_seq, 0, from_head, start, (), dict(record_keys), True
            )
        # Canonical dates are written YYYY-MM-DD (SQL and the loaders' ORM alike); no
        # parallel workers: starting them costs more than these few index reads. Put back
        # afterwards (SET LOCAL would outlast the savepoint in a caller's transaction).
        cursor.execute(
            "SELECT current_setting('DateStyle'), "
            "current_setting('max_parallel_workers_per_gather'), "
            "set_config('DateStyle', 'ISO', true), "
            "set_config('max_parallel_workers_per_gather', '0', true)"
        )
        date_style, parallel = cursor.fetchone()[:2]
        try:
            # Records first: one created meanwhile has a greater key and is the next check's.
            gaps, keys = _records_since(cursor, programme_id, kinds, record_keys)
            link_break, hash_break, entries, to_seq, head = _entries_check(
                cursor, programme_id, kinds, from_seq, from_head
            )
        finally:
            cursor.execute(
                "SELECT set_config('DateStyle', %s, true), "
                "set_config('max_parallel_workers_per_gather', %s, true)",
                [date_style, parallel],
            )
        gaps = chain_head_gaps(cursor, programme_id) + gaps
    breaks = [b for b in (link_break, hash_break) if b is not None]
    first = min(breaks, key=lambda b: b.seq) if breaks else (gaps[0] if gaps else None)
    return RoutineVerification(
        programme_id, from_seq, to_seq, entries, head, first, tuple(gaps), keys
    )


def _start_moved(cursor: Any, programme_id: int, seq: int, head: str) -> ChainBreak | None:
    if seq == 0:
        return None  # the empty chain's head is 64 zeros whatever happens
    cursor.execute(
        "SELECT kind, object_id, hash FROM sib_chain_entry WHERE programme_id = %s AND seq = %s",
        [programme_id, seq],
    )
    row = cursor.fetchone()
    if row is not None and row[2] == head:
        return None
    kind, object_id = (row[0], row[1]) if row is not None else ("", "")
    return ChainBreak(seq, kind, object_id, START_MOVED)


def _records_since(
    cursor: Any, programme_id: int, kinds: dict[str, ChainKind], record_keys: dict[str, int]
) -> tuple[list[ChainBreak], dict[str, int]]:
    """Name the records above the last check's keys that have no entry; return new keys.

    One query for every kind: each kind's records above its key (its own SQL, by index on
    the key), each looked up among the entries by the unique (kind, object_id) index.
    """
    keys = dict(record_keys)
    params: dict[str, Any] = {"programme_id": programme_id}
    parts = []
    for position, (name, kind) in enumerate(sorted(kinds.items())):
        if not kind.records_since_sql:
            continue
        params[f"kind_{position}"] = name
        params[f"after_{position}"] = keys.get(name, 0)
        # The app's own SQL (ChainKind.records_since_sql), never user input; its key
        # placeholder renamed so that each kind has its own.
        sql = kind.records_since_sql.replace("%(after_key)s", f"%(after_{position})s")
        parts.append(f"SELECT %(kind_{position})s::text AS kind, s.object_key FROM ({sql}) s")  # noqa: S608
    if not parts:
        return [], keys
    cursor.execute(
        f"""
        SELECT r.kind, max(r.object_key),
               (array_agg(r.object_key ORDER BY r.object_key)
                    FILTER (WHERE c.id IS NULL))[1:{_NAMED_PER_KIND}]
          FROM ({" UNION ALL ".join(parts)}) r
          LEFT JOIN sib_chain_entry c
            ON c.kind = r.kind AND c.object_id = r.object_key::text
           AND c.programme_id = %(programme_id)s
         GROUP BY r.kind ORDER BY r.kind
        """,  # noqa: S608
        params,
    )
    gaps: list[ChainBreak] = []
    for name, highest, unchained in cursor.fetchall():
        keys[name] = max(keys.get(name, 0), highest)
        gaps.extend(ChainBreak(0, name, str(key), NO_ENTRY) for key in unchained or ())
    return gaps, keys


def _entries_check(
    cursor: Any, programme_id: int, kinds: dict[str, ChainKind], from_seq: int, from_head: str
) -> tuple[ChainBreak | None, ChainBreak | None, int, int, str]:
    """Check the links and hashes of the entries after from_seq, a batch at a time."""
    link_break: ChainBreak | None = None
    hash_break: ChainBreak | None = None
    expect, previous = from_seq + 1, from_head
    entries, last_seq, head = 0, from_seq, from_head
    while True:
        cursor.execute(
            "SELECT seq, kind, object_id, previous_hash, hash FROM sib_chain_entry "
            "WHERE programme_id = %s AND seq > %s ORDER BY seq LIMIT %s",
            [programme_id, last_seq, _BATCH],
        )
        batch: list[Entry] = cursor.fetchall()
        if not batch:
            break
        for seq, kind, object_id, stored_previous, stored in batch:
            if link_break is None:
                if seq != expect:
                    link_break = ChainBreak(
                        seq, kind, object_id, f"sequence gap: expected {expect}"
                    )
                elif stored_previous != previous:
                    reason = "previous hash does not match the entry before"
                    link_break = ChainBreak(seq, kind, object_id, reason)
            expect, previous = seq + 1, stored
        if hash_break is None:
            hash_break = _hashes_check(cursor, programme_id, kinds, batch)
        entries += len(batch)
        last_seq, head = batch[-1][0], batch[-1][4]
        if len(batch) < _BATCH:
            break  # the last one
    return link_break, hash_break, entries, last_seq, head


def _hashes_check(
    cursor: Any, programme_id: int, kinds: dict[str, ChainKind], batch: list[Entry]
) -> ChainBreak | None:
    """Rebuild the batch's records by key and return the first entry that does not match."""
    ids: dict[str, list[str]] = defaultdict(list)
    for _seq, name, object_id, _previous, _hash in batch:
        ids[name].append(object_id)
    texts: dict[tuple[str, str], str] = {}
    for name, object_ids in ids.items():
        chain_kind = kinds.get(name)
        if chain_kind is None:
            continue  # an unknown kind: no record to rebuild
        found = dict(_canonical_by_sql(cursor, programme_id, chain_kind, object_ids))
        # The loader for the rest: kinds without SQL, and records SQL did not find (a
        # transaction whose legs were all deleted is changed, not missing).
        rest = [object_id for object_id in object_ids if object_id not in found]
        if rest:
            found.update((str(key), text) for key, text in chain_kind.load_canonical(rest))
        texts.update(((name, key), text) for key, text in found.items())
    for seq, kind, object_id, stored_previous, stored in batch:
        text = texts.get((kind, object_id))
        if text is None:
            return ChainBreak(seq, kind, object_id, MISSING)
        if link_hash(entry_bytes(kind, object_id, text), stored_previous) != stored:
            return ChainBreak(seq, kind, object_id, MISMATCH)
    return None


def _canonical_by_sql(
    cursor: Any, programme_id: int, kind: ChainKind, object_ids: list[str]
) -> Iterable[tuple[str, str]]:
    sql = kind.canonical_keys_sql
    if sql is None:
        return []
    if callable(sql):
        sql = sql(cursor.connection.info.server_version)
    # Ids that are not integers (changed by hand) are left to the loader.
    object_keys = [int(i) for i in object_ids if i.isascii() and i.isdigit() and len(i) <= 18]
    if not object_keys:
        return []
    # The app's own SQL (ChainKind.canonical_keys_sql), never user input.
    cursor.execute(
        f"SELECT k.object_key::text, k.canonical FROM ({sql}) k",  # noqa: S608
        {"programme_id": programme_id, "object_keys": object_keys},
    )
    return cursor.fetchall()
