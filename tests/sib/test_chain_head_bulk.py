"""The chain head's statement trigger on bulk inserts: the same rules, a cost linear in rows.

`sib_chain_head_advance` (sib.0009, rewritten by sib.0017) checks each statement's new
entries: per programme they are head+1 .. head+k, each naming the hash of the one before,
and it moves the head to the last. A bulk load (COPY, or one INSERT of many rows) is one
statement. Its check joined the statement's new rows to themselves; PL/pgSQL plans that
query once per session, with the row count of the trigger's first call, usually one
entry, so a 20,000-row COPY later in the session ran a nested loop over 400 million pairs
(90 s against 10 s for the same rows in batches: issue 16).
"""

import time

import pytest
from django.db import IntegrityError, connection, transaction

from sib.models import ChainEntry, ChainHead
from tests.payments.ledger_support import Deal, make_deal

pytestmark = pytest.mark.django_db

KIND = "test.bulk"


def _hash(n: int) -> str:
    return f"{n:064x}"


def _insert(rows: list[tuple[int, int, str, str]]) -> None:
    """Insert (programme id, seq, previous hash, hash) rows in ONE statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sib_chain_entry (programme_id, seq, kind, object_id, previous_hash, "
            "hash, imported, created_at) "
            "SELECT r.programme_id, r.seq, %s, r.programme_id || '-' || r.seq, r.previous, "
            "r.hash, false, now() "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) "
            "AS r(programme_id, seq, previous, hash)",
            [KIND, *(list(column) for column in zip(*rows, strict=True))],
        )


def _following(deal: Deal, count: int, *, salt: int = 0) -> list[tuple[int, int, str, str]]:
    """`count` entries that follow the programme's head, each linked to the one before."""
    head = ChainHead.objects.get(programme=deal.programme)
    rows, previous = [], head.hash
    for seq in range(head.seq + 1, head.seq + count + 1):
        digest = _hash(seq * 1_000 + salt)
        rows.append((deal.programme.pk, seq, previous, digest))
        previous = digest
    return rows


@pytest.fixture
def deal() -> Deal:
    return make_deal("bulk")


def test_one_statement_of_many_entries_moves_the_head_to_the_last(deal):
    rows = _following(deal, 500)
    _insert(rows)
    head = ChainHead.objects.get(programme=deal.programme)
    assert (head.seq, head.hash) == (rows[-1][1], rows[-1][3])
    assert ChainEntry.objects.filter(programme=deal.programme, kind=KIND).count() == 500


def test_one_statement_for_two_programmes_follows_each_head(deal):
    other = make_deal("bulk-other")
    rows = _following(deal, 3) + _following(other, 4)
    _insert(rows)
    assert ChainHead.objects.get(programme=deal.programme).seq == rows[2][1]
    assert ChainHead.objects.get(programme=other.programme).seq == rows[-1][1]


def _spoil(rows: list[tuple[int, int, str, str]], change: str) -> int:
    """Spoil one entry of `rows` in place; return the seq the refusal must name."""
    programme, seq, _previous, digest = rows[120]
    if change == "first-skips-the-head":
        rows[:] = [(p, s + 1, prev, h) for p, s, prev, h in rows]
        return rows[0][1]
    if change == "first-forges-the-head":
        rows[0] = (rows[0][0], rows[0][1], "f" * 64, rows[0][3])
        return rows[0][1]
    if change == "gap-in-the-middle":
        del rows[120]
        return seq + 1  # the entry after the gap no longer follows the one before
    rows[120] = (programme, seq, "e" * 64, digest)  # a forged link
    return seq


@pytest.mark.parametrize(
    "change",
    ["first-skips-the-head", "first-forges-the-head", "gap-in-the-middle", "link-forged"],
)
def test_a_bulk_insert_with_one_bad_entry_is_refused_and_names_it(deal, change):
    rows = _following(deal, 200)
    seq = _spoil(rows, change)
    head = ChainHead.objects.get(programme=deal.programme)
    refused = pytest.raises(
        IntegrityError, match=f"chain entry {seq} of programme {deal.programme.pk} "
    )
    with refused, transaction.atomic():
        _insert(rows)
    assert ChainHead.objects.get(programme=deal.programme) == head
    assert not ChainEntry.objects.filter(kind=KIND).exists()


def test_a_bulk_insert_for_two_programmes_is_refused_when_one_does_not_follow(deal):
    other = make_deal("bulk-refused")
    theirs = _following(other, 3)
    programme, seq, _previous, digest = theirs[1]
    theirs[1] = (programme, seq, "d" * 64, digest)
    refused = pytest.raises(IntegrityError, match=f"chain entry {seq} of programme {programme} ")
    with refused, transaction.atomic():
        _insert(_following(deal, 3) + theirs)


def _timed_insert(rows: list[tuple[int, int, str, str]], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        _insert(rows[start : start + batch])
    return time.perf_counter() - started


def test_one_statement_costs_no_more_than_the_same_rows_in_batches(deal):
    """8,000 entries in one statement, beside 8,000 more in statements of 1,000.

    As in a new session whose first chain insert was one entry (a service's chain_append):
    plans dropped, then one entry. The former check joined the statement's rows to
    themselves with the plan made for that one row: 8,000 x 8,000 = 64 million pairs in
    one statement against 8 x 1,000 x 1,000 = 8 million in batches, about 8 times as long.
    Linear, both take about as long; the slack absorbs a busy machine's noise.
    """
    with connection.cursor() as cursor:
        cursor.execute("DISCARD PLANS")
    _insert(_following(deal, 1))
    start = ChainHead.objects.get(programme=deal.programme).seq
    one = _timed_insert(_following(deal, 8_000), batch=8_000)
    batches = _timed_insert(_following(deal, 8_000, salt=1), batch=1_000)
    assert ChainHead.objects.get(programme=deal.programme).seq == start + 16_000
    assert one <= 3 * batches + 0.5, f"one statement {one:.2f} s, in batches {batches:.2f} s"
