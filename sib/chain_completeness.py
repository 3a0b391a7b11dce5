"""Is a programme's chain complete? What sib.chain's hash check cannot see.

The hash check proves that every entry matches its record and follows the entry before.
It cannot see what is not there:
- a chained record with no entry (written behind the application's back). Each kind
  that declares `records_sql` has its records counted against its entries; when the
  counts differ, the records without an entry and the entries without a record are named.
  (If every entry matches a distinct record of the programme, equal counts mean that no
  record is left out.) New records cannot lack one: a deferred trigger refuses the commit
  (sib.db.guards.chain_entry_required);
- the last entries removed with their records: what is left is a whole, shorter chain.
  The head record (`sib_chain_head`, kept by a trigger on every append, not writable by
  the application role) still names the last seq and hash; a chain that ends before it,
  or differs from it, is reported.

The limit, stated plainly: someone with the owner's password can switch triggers off and
rewrite the head record along with the chain. Only a copy of the head kept elsewhere (a
signed checkpoint, a printed report) shows that; see docs/operations.md.
"""

from dataclasses import dataclass, field
from typing import Any

_NAMED_PER_KIND = 10


@dataclass(frozen=True)
class ChainBreak:
    """An entry that fails verification, or something missing (seq 0: no entry at all)."""

    seq: int
    kind: str
    object_id: str
    reason: str


@dataclass(frozen=True)
class Completeness:
    gaps: tuple[ChainBreak, ...] = ()
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind: (records, entries)


NO_ENTRY = "the record has no chain entry"
NO_RECORD = "the chain entry's record is gone"


def chain_completeness_check(
    cursor: Any,
    *,
    programme_id: int,
    records_sql: dict[str, str],
    entries: dict[str, int] | None = None,
) -> Completeness:
    """Compare the chain with its head record and each kind's records with its entries.

    `entries` is the number of entries per kind when the caller counted them all (the
    hash check does, on its way); otherwise they are counted here.
    """
    gaps = chain_head_gaps(cursor, programme_id)
    if entries is None:
        cursor.execute(
            "SELECT kind, count(*) FROM sib_chain_entry WHERE programme_id = %s GROUP BY kind",
            [programme_id],
        )
        entries = dict(cursor.fetchall())
    counts: dict[str, tuple[int, int]] = {}
    for kind, sql in sorted(records_sql.items()):
        params = {"programme_id": programme_id, "kind": kind}
        cursor.execute(f"SELECT count(*) FROM ({sql}) r", params)  # noqa: S608 (app's SQL)
        counts[kind] = (cursor.fetchone()[0], entries.get(kind, 0))
        if counts[kind][0] != counts[kind][1]:
            gaps.extend(_kind_gaps(cursor, kind, sql, params))
    return Completeness(tuple(gaps), counts)


def _kind_gaps(cursor: Any, kind: str, sql: str, params: dict[str, Any]) -> list[ChainBreak]:
    # The app's own SQL (ChainKind.records_sql), never user input.
    cursor.execute(
        f"""
        SELECT r.object_id FROM ({sql}) r
         WHERE NOT EXISTS (SELECT 1 FROM sib_chain_entry c
                            WHERE c.programme_id = %(programme_id)s AND c.kind = %(kind)s
                              AND c.object_id = r.object_id)
         ORDER BY length(r.object_id), r.object_id LIMIT {_NAMED_PER_KIND}
        """,  # noqa: S608
        params,
    )
    gaps = [ChainBreak(0, kind, object_id, NO_ENTRY) for (object_id,) in cursor.fetchall()]
    cursor.execute(
        f"""
        SELECT c.seq, c.object_id FROM sib_chain_entry c
         WHERE c.programme_id = %(programme_id)s AND c.kind = %(kind)s
           AND NOT EXISTS (SELECT 1 FROM ({sql}) r WHERE r.object_id = c.object_id)
         ORDER BY c.seq LIMIT {_NAMED_PER_KIND}
        """,  # noqa: S608
        params,
    )
    gaps.extend(ChainBreak(seq, kind, object_id, NO_RECORD) for seq, object_id in cursor)
    return gaps


def chain_head_gaps(cursor: Any, programme_id: int) -> list[ChainBreak]:
    """Compare the chain's last entry with its head record (two index lookups)."""
    cursor.execute(
        "SELECT seq, kind, object_id, hash FROM sib_chain_entry WHERE programme_id = %s "
        "ORDER BY seq DESC LIMIT 1",
        [programme_id],
    )
    last = cursor.fetchone()
    cursor.execute("SELECT seq, hash FROM sib_chain_head WHERE programme_id = %s", [programme_id])
    head = cursor.fetchone()
    if last is None and head is None:
        return []
    if head is None:
        seq, kind, object_id, _hash = last
        reason = (
            "the chain has no head record: its entries were written with the database's "
            "triggers off, or the head record was removed"
        )
        return [ChainBreak(seq, kind, object_id, reason)]
    head_seq, head_hash = head
    if last is None:
        reason = f"the chain is empty but its head record says it reached seq {head_seq}"
        return [ChainBreak(head_seq, "", "", reason)]
    seq, kind, object_id, last_hash = last
    if seq < head_seq:
        reason = (
            f"entries {seq + 1} to {head_seq} are missing: the chain ends at seq {seq} but "
            f"its head record says it reached seq {head_seq} (the last entries were removed)"
        )
        return [ChainBreak(seq + 1, "", "", reason)]
    if seq > head_seq:
        reason = (
            f"entries after seq {head_seq} were added with the database's triggers off "
            f"(the head record says seq {head_seq})"
        )
        return [ChainBreak(head_seq + 1, "", "", reason)]
    if last_hash != head_hash:
        reason = "the last entry is not the one the chain's head record holds"
        return [ChainBreak(seq, kind, object_id, reason)]
    return []
