"""Verify a programme's hash chain by recomputing it from the source records (sib.chain).

This is the reading side of the chain: `chain_verify` streams each kind's canonical
text out of PostgreSQL, hashes it and checks the links, then asks sib.chain_completeness
what is missing. Appending, locking and the kinds' registry are in sib.chain.
"""

import hashlib
from binascii import hexlify
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.db import connection, transaction
from psycopg.types.string import ByteaBinaryLoader

from sib.chain import GENESIS, ChainKind, chain_kinds, entry_bytes, link_hash
from sib.chain_completeness import ChainBreak, chain_completeness_check
from sib.models import ChainEntry

_VERIFY_BATCH = 20_000


@dataclass(frozen=True)
class ChainVerification:
    programme_id: int
    entries: int
    head: str
    # The lowest entry that fails the hash or link check; failing none, the first gap.
    first_break: ChainBreak | None
    # What is missing (sib.chain_completeness): records without an entry, entries without
    # their record, removed last entries. A gap with seq 0 has no entry.
    gaps: tuple[ChainBreak, ...] = ()
    # Per kind with records_sql: (records, entries).
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.first_break is None and not self.gaps


def chain_verify(*, programme_id: int) -> ChainVerification:
    """Recompute the programme's chain from the source records; report the first break.

    Recomputing hash(n) from hash(n-1) for every n is the same as two checks that each
    look at one entry at a time, which lets PostgreSQL read the rows in its cheapest order:
    1. links: entries are numbered 1..n without gaps and each stores, as previous hash,
       the stored hash of the entry before it (64 zeros for the first);
    2. hashes: each stored hash is sha256(canonical bytes rebuilt from the source record ‖
       the entry's stored previous hash). Kinds with `canonical_sql` are checked by one
       streamed query each (the canonical text is built by PostgreSQL, Python hashes);
       others by their loader.
    The first streamed query carries every entry of the programme, so Python also checks
    the links as the entries go by; only when they do not simply follow one another (a
    break, a gap, or too much disorder to hold) does one ordered SQL pass name the break.
    The first break reported is the lowest seq failing either check.
    """
    sql_kinds = sorted(name for name, kind in chain_kinds().items() if kind.canonical_sql)
    with transaction.atomic(), connection.cursor() as cursor:
        scan = _hash_check_sql(programme_id, sql_kinds) if sql_kinds else None
        if scan is None or scan.head is None:
            cursor.execute(
                "SELECT count(*), (SELECT hash FROM sib_chain_entry WHERE programme_id = %s "
                "ORDER BY seq DESC LIMIT 1) FROM sib_chain_entry WHERE programme_id = %s",
                [programme_id, programme_id],
            )
            count, head = cursor.fetchone()
        else:
            count, head = scan.entries, scan.head.decode()
        breaks = []
        if scan is None or not scan.links_confirmed:
            link = _link_break(cursor, programme_id)
            if link is not None:
                breaks.append(link)
        if scan is not None and scan.bad_seq is not None:
            breaks.append(_entry_break(cursor, programme_id, scan.bad_seq, scan.missing))
        first_bad = min((b.seq for b in breaks), default=None)
        # Entries per kind, counted on the way when every entry was seen (else queried).
        counted: dict[str, int] | None = dict(scan.kind_entries) if scan is not None else None
        if scan is None or scan.other_entries > 0:
            # Loaders read dates through the ORM, which parses them in DateStyle ISO only.
            cursor.execute("SELECT current_setting('DateStyle')")
            date_style = cursor.fetchone()[0]
            _settings_set(cursor, {"DateStyle": "ISO"})
            by_loader: dict[str, int] = {}
            loader_break = _hash_check_loaders(
                programme_id, sql_kinds, below=first_bad, counts=by_loader
            )
            _settings_set(cursor, {"DateStyle": date_style})
            if loader_break is not None:
                breaks.append(loader_break)
            if counted is not None and loader_break is None and first_bad is None:
                counted.update(by_loader)
            else:
                counted = None
        completeness = chain_completeness_check(
            cursor,
            programme_id=programme_id,
            records_sql={name: k.records_sql for name, k in chain_kinds().items() if k.records_sql},
            entries=counted,
        )
    first = min(breaks, key=lambda b: b.seq) if breaks else None
    if first is None and completeness.gaps:
        first = completeness.gaps[0]
    return ChainVerification(
        programme_id, count, head or GENESIS, first, completeness.gaps, completeness.counts
    )


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
    if (
        missing
        and kind in chain_kinds()
        and any(True for _ in chain_kinds()[kind].load_canonical([object_id]))
    ):
        # The query found no canonical row, but the record is there (say, a transaction
        # whose legs were all deleted): it was changed, not removed.
        missing = False
    return ChainBreak(seq, kind, object_id, _MISSING if missing else _MISMATCH)


@dataclass
class _Scan:
    """What the streamed queries found."""

    links_confirmed: bool = False  # every entry followed the one before, from seq 1
    entries: int = 0
    head: bytes | None = None  # the stored hash of the highest seq seen
    bad_seq: int | None = None  # lowest seq whose hash is wrong or whose record is missing
    missing: bool = False
    other_entries: int = 0  # entries of kinds without canonical SQL (for their loaders)
    kind_entries: dict[str, int] = field(default_factory=dict)  # entries per SQL kind


# Settings for the streamed queries, put back afterwards. One core: the figure the bench
# prints is bought neither with parallel workers nor with I/O workers reading ahead (PG 18),
# every read is the backend's own; sorts and merges in memory; never a nested loop (with
# statistics not yet gathered after a bulk load, the planner guesses one row and loops a
# million times); dates written YYYY-MM-DD whatever the caller's DateStyle; text sent as
# UTF-8, the encoding of the canonical bytes.
_STREAM_SETTINGS = {
    "max_parallel_workers_per_gather": "0",
    "effective_io_concurrency": "0",
    "work_mem": "256MB",
    "enable_nestloop": "off",
    "DateStyle": "ISO",
    "client_encoding": "UTF8",
}
# Rows per network read: small enough that the server rarely waits for Python to drain the
# socket, large enough to keep the per-read cost low (libpq >= 17; else one row at a time).
_STREAM_ROWS = 200 if psycopg.pq.version() >= 170000 else 1
# Entries held while waiting for the one before (ids out of chain order, loader kinds
# streamed first); beyond that the links are left to the ordered SQL pass.
_PENDING_LIMIT = 100_000


def _hash_check_sql(programme_id: int, kinds: list[str]) -> _Scan:
    """Check the hashes of SQL kinds, and the links of the whole chain while at it."""
    raw = connection.connection
    names = list(_STREAM_SETTINGS)
    with raw.cursor() as cursor:
        # set_config(..., true) is SET LOCAL; the old values are put back afterwards, because
        # SET LOCAL outlives our savepoint and would slow every later query of a caller's
        # transaction (the deferred balance trigger became 50x slower).
        cursor.execute("SELECT " + ", ".join("current_setting(%s)" for _ in names), names)
        saved = cursor.fetchone()
        assert saved is not None  # a SELECT without FROM returns one row
        _settings_set(cursor, dict(_STREAM_SETTINGS))
    scan = _Scan()
    for position, kind in enumerate(kinds):
        # The first query carries every entry of the programme, for the links.
        every_entry = position == 0
        try:
            with transaction.atomic():
                _stream_kind(
                    raw, programme_id, chain_kinds()[kind], scan, every_entry, guarded=False
                )
        except psycopg.errors.DataError:
            # An object id of this kind that is not an integer (changed by hand): rolled
            # back to before the query; again, reading such ids as no record.
            with transaction.atomic():
                _stream_kind(
                    raw, programme_id, chain_kinds()[kind], scan, every_entry, guarded=True
                )
    with raw.cursor() as cursor:
        _settings_set(cursor, dict(zip(names, saved, strict=True)))
    return scan


def _settings_set(cursor: Any, settings: dict[str, str]) -> None:
    cursor.execute(
        "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in settings),
        [item for pair in settings.items() for item in pair],
    )


def _stream_kind(
    raw: Any, programme_id: int, kind: ChainKind, scan: _Scan, every_entry: bool, guarded: bool
) -> None:
    """Stream one kind's entries (all entries if every_entry) with their canonical text."""
    canonical_sql = kind.canonical_sql
    if callable(canonical_sql):
        canonical_sql = canonical_sql(raw.info.server_version)
    key = "object_id::bigint"
    if guarded:
        key = "CASE WHEN object_id ~ '^[0-9]{1,18}$' THEN object_id::bigint END"
    # Entries of other kinds get key -1 and no object id: they come first, in seq order,
    # and are not hashed here (their loaders check them). The kind's own entries come in
    # object_key order, merged with its canonical rows: no hash table, no sort of the
    # canonical side; in the usual chain (ids growing with seq) also in seq order.
    # The fragment is code registered by an app (ChainKind.canonical_sql), never user input.
    query = f"""
        SELECT c.seq, c.object_id, c.previous_hash, c.hash, k.canonical
          FROM (SELECT seq, CASE WHEN kind = %(kind)s THEN object_id END AS object_id,
                       previous_hash, hash,
                       CASE WHEN kind = %(kind)s THEN {key} ELSE -1 END AS object_key
                  FROM sib_chain_entry
                 WHERE programme_id = %(programme_id)s
                       {"" if every_entry else "AND kind = %(kind)s"}
                 ORDER BY object_key, seq) c
          LEFT JOIN ({canonical_sql}) k ON k.object_key = c.object_key
    """  # noqa: S608
    params = {"programme_id": programme_id, "kind": kind.name}
    prefix = f"{kind.name}|".encode()
    sha256, join = hashlib.sha256, b"".join
    bad, missing = scan.bad_seq, scan.missing
    # Links: `expect` is the next seq and `last` the hash it must name as previous; entries
    # that come early wait in `pending`. Anything else leaves the links to _link_break.
    expect, last, tracking = 1, GENESIS.encode(), every_entry
    pending: dict[int, tuple[bytes, bytes]] = {}
    entries, others, head_seq, head = 0, 0, 0, None
    # A cursor binding parameters on the server (Django's client-side one reads no binary).
    with psycopg.Cursor(raw) as cursor:
        # Text arrives as the bytes to hash (the client encoding is UTF-8), not decoded.
        cursor.adapters.register_loader("text", ByteaBinaryLoader)
        cursor.adapters.register_loader("varchar", ByteaBinaryLoader)
        rows = cursor.stream(query, params, binary=True, size=_STREAM_ROWS)
        for seq, object_id, previous, stored, canonical in rows:
            entries += 1
            if seq > head_seq:
                head_seq, head = seq, stored
            if tracking:
                if seq == expect and previous == last:
                    expect, last = seq + 1, stored
                    while pending and expect in pending:
                        waiting_previous, waiting_hash = pending.pop(expect)
                        if waiting_previous != last:
                            tracking = False
                            break
                        expect, last = expect + 1, waiting_hash
                elif seq > expect and seq not in pending and len(pending) < _PENDING_LIMIT:
                    pending[seq] = (previous, stored)
                else:
                    tracking = False
            if object_id is None:
                others += 1  # another kind's entry
                continue
            if bad is not None and seq > bad:
                continue
            if canonical is None:
                bad, missing = seq, True
            elif (
                hexlify(sha256(join((prefix, object_id, b"|", canonical, previous))).digest())
                != stored
            ):
                bad, missing = seq, False
    scan.bad_seq, scan.missing = bad, missing
    if every_entry:
        scan.links_confirmed = tracking and not pending
        scan.entries, scan.head, scan.other_entries = entries, head, others
        scan.kind_entries[kind.name] = entries - others
    else:  # entries the first query counted as another kind's
        scan.other_entries -= entries
        scan.kind_entries[kind.name] = entries


def _hash_check_loaders(
    programme_id: int, sql_kinds: list[str], *, below: int | None, counts: dict[str, int]
) -> ChainBreak | None:
    """Check entries of kinds without SQL through their loaders, in batches, in seq order.

    Count the entries of each kind in `counts` as they go (all of them unless it stops).
    """
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
            counts[kind] = counts.get(kind, 0) + 1
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
        loader = chain_kinds().get(kind)
        if loader is None:
            continue
        for object_id, text in loader.load_canonical(ids):
            out[(kind, str(object_id))] = text
    return out
