"""chain_verify names the first broken entry whatever was changed, in any kind of chain.

The owner's edits below bypass triggers (session_replication_role = replica), as someone with
the owner's password could; each must be reported at the entry it breaks, no earlier, no
later. The chains mix ledger transactions (checked by one streamed query) with a kind that
only has a Python loader, and hold entries whose record ids are not in chain order.
"""

from collections.abc import Iterable, Iterator
from datetime import date

import pytest
from django.db import connection, transaction

from payments import ledger, services
from payments.models import AccountKind, LedgerTransaction, TransactionKind
from sib import chain
from sib.chain import ChainKind, canonical_json, chain_append
from sib.chain_verification import chain_verify
from sib.models import ChainEntry
from tests.owner import as_owner_bypassing_triggers
from tests.payments.ledger_support import Deal, make_deal

pytestmark = pytest.mark.django_db

NOTE = "test.note"
_notes: dict[str, str] = {}


def _load_notes(object_ids: list[str]) -> Iterable[tuple[str, str]]:
    return [(i, _notes[i]) for i in object_ids if i in _notes]


@pytest.fixture(autouse=True)
def note_kind() -> Iterator[None]:
    # A kind without canonical SQL, checked by its loader, interleaved with the ledger.
    chain.chain_kind_register(ChainKind(NOTE, _load_notes))
    yield
    chain._KINDS.pop(NOTE, None)
    _notes.clear()


def _note(deal: Deal, key: str) -> None:
    _notes[key] = canonical_json({"note": key})
    with transaction.atomic():
        chain_append(programme=deal.programme, kind=NOTE, object_id=key, canonical=_notes[key])


def _drawdown(deal: Deal, month: int) -> LedgerTransaction:
    return services.drawdown_record(
        commitment=deal.commitment, called_on=date(2026, month, 1), amount=100 * month, actor=None
    ).transaction


def _two_posted_in_reverse_id_order(deal: Deal) -> tuple[LedgerTransaction, LedgerTransaction]:
    # What two concurrent postings can leave: the later id is chained first.
    cash = ledger.account_for(programme=deal.programme, kind=AccountKind.PROGRAMME_CASH)
    payer = ledger.account_for(
        programme=deal.programme, kind=AccountKind.PAYER_RECEIVABLE, organisation=deal.payer
    )
    with transaction.atomic():
        first = LedgerTransaction.objects.create(
            programme=deal.programme,
            kind=TransactionKind.PAYMENT_RECEIVED,
            occurred_on=date(2026, 3, 3),
            description="first id, chained second",
        )
        second = LedgerTransaction.objects.create(
            programme=deal.programme,
            kind=TransactionKind.PAYMENT_RECEIVED,
            occurred_on=date(2026, 3, 4),
            description='second id, chained first: "quoted" \\ é',
        )
        rows = {}
        for tx, amount in ((first, 70), (second, 80)):
            rows[tx.pk] = [
                tx.legs.create(account=cash, debit=amount, credit=0, currency="EUR"),
                tx.legs.create(account=payer, debit=0, credit=amount, currency="EUR"),
            ]
        for tx in (second, first):
            chain_append(
                programme=deal.programme,
                kind=ledger.CHAIN_KIND,
                object_id=tx.pk,
                canonical=ledger.transaction_canonical(tx, rows[tx.pk]),
            )
    return first, second


# Setting the deal up chains its contract versions (payments.contract) first: the seqs
# the tests name count from the entry after them.
_base: dict[int, int] = {}


def _at(deal: Deal, seq: int) -> int:
    return _base[deal.programme.pk] + seq


@pytest.fixture
def deal() -> Deal:
    """Chain, after the set-up (contract versions, the creator's grant): 1 note, 2-3
    drawdowns, 4 note, 5-6 two
    transactions in reverse id order, 7 drawdown, 8 note."""
    deal = make_deal("chainv")
    _base[deal.programme.pk] = ChainEntry.objects.filter(programme=deal.programme).count()
    _note(deal, "n-1")
    _drawdown(deal, 2)
    _drawdown(deal, 3)
    _note(deal, "n-4")
    _two_posted_in_reverse_id_order(deal)
    _drawdown(deal, 5)
    _note(deal, "n-8")
    return deal


def _entry(deal: Deal, seq: int) -> tuple[str, str]:
    entry = ChainEntry.objects.get(programme=deal.programme, seq=_at(deal, seq))
    return entry.kind, entry.object_id


def _assert_broken_at(deal: Deal, seq: int, reason: str = "") -> None:
    result = chain_verify(programme_id=deal.programme.pk)
    assert not result.ok
    assert result.first_break is not None
    assert result.first_break.seq == _at(deal, seq), result.first_break
    if reason:
        assert reason in result.first_break.reason, result.first_break


def test_a_mixed_chain_with_ids_out_of_chain_order_verifies(deal):
    kinds = [_entry(deal, seq)[0] for seq in range(1, 9)]
    assert kinds == [NOTE, *[ledger.CHAIN_KIND] * 2, NOTE, *[ledger.CHAIN_KIND] * 3, NOTE]
    assert int(_entry(deal, 5)[1]) > int(_entry(deal, 6)[1])
    result = chain_verify(programme_id=deal.programme.pk)
    assert result.ok, result.first_break
    assert result.entries == _at(deal, 8)
    assert result.head == ChainEntry.objects.get(programme=deal.programme, seq=_at(deal, 8)).hash


def test_a_chain_of_contract_versions_only_verifies():
    deal = make_deal("chainv-empty")
    result = chain_verify(programme_id=deal.programme.pk)
    kinds = set(ChainEntry.objects.filter(programme=deal.programme).values_list("kind", flat=True))
    assert kinds == {"payments.contract_version", "sib.role_change"}
    assert result.ok and result.entries == len(ChainEntry.objects.filter(programme=deal.programme))


@pytest.mark.parametrize("seq", [2, 5, 6, 7])
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE payments_leg SET debit = debit + 1 WHERE transaction_id = %s AND debit > 0",
        "UPDATE payments_ledger_transaction SET description = description || 'x' WHERE id = %s",
        "UPDATE payments_ledger_transaction SET occurred_on = occurred_on - 1 WHERE id = %s",
        "UPDATE payments_ledger_transaction SET actor_id = (SELECT min(id) FROM sib_user) "
        "WHERE id = %s",
        "DELETE FROM payments_leg WHERE id = (SELECT max(id) FROM payments_leg "
        "WHERE transaction_id = %s)",
        "DELETE FROM payments_leg WHERE transaction_id = %s",
        "INSERT INTO payments_leg (transaction_id, account_id, debit, credit, currency) "
        "SELECT transaction_id, account_id, 0, 1, currency FROM payments_leg "
        "WHERE transaction_id = %s LIMIT 1",
        "UPDATE payments_leg SET currency = 'EUX' WHERE transaction_id = %s AND credit > 0",
    ],
    ids=[
        "leg-debit",
        "description",
        "date",
        "actor",
        "one-leg-deleted",
        "all-legs-deleted",
        "extra-leg",
        "currency",
    ],
)
def test_a_changed_ledger_record_is_named_at_its_entry(deal, sql, seq):
    _kind, object_id = _entry(deal, seq)
    as_owner_bypassing_triggers(sql, [int(object_id)])
    _assert_broken_at(deal, seq, "hash mismatch")


@pytest.mark.parametrize("seq", [2, 6])
def test_a_leg_moved_to_another_programmes_account_or_transaction_is_named(deal, seq):
    other = make_deal("chainv-other")
    other_tx = _drawdown(other, 4)
    other_cash = ledger.account_for(programme=other.programme, kind=AccountKind.PROGRAMME_CASH)
    _, object_id = _entry(deal, seq)
    as_owner_bypassing_triggers(
        "UPDATE payments_leg SET account_id = %s WHERE transaction_id = %s AND debit > 0",
        [other_cash.pk, int(object_id)],
    )
    _assert_broken_at(deal, seq)
    # The other deal's drawdown comes after its own set-up's contract versions.
    other_seq = ChainEntry.objects.get(programme=other.programme, kind=ledger.CHAIN_KIND).seq
    as_owner_bypassing_triggers(
        "UPDATE payments_leg SET transaction_id = %s WHERE transaction_id = %s AND credit > 0",
        [other_tx.pk, int(object_id)],
    )
    _assert_broken_at(deal, seq)
    result = chain_verify(programme_id=other.programme.pk)
    assert result.first_break is not None and result.first_break.seq == other_seq


def test_a_transaction_moved_to_another_programme_is_named(deal):
    other = make_deal("chainv-moved")
    _, object_id = _entry(deal, 5)
    as_owner_bypassing_triggers(
        "UPDATE payments_ledger_transaction SET programme_id = %s WHERE id = %s",
        [other.programme.pk, int(object_id)],
    )
    _assert_broken_at(deal, 5)


@pytest.mark.parametrize("seq", [1, 2, 4, 5, 6, 8])
@pytest.mark.parametrize(
    "column, value",
    [
        (
            "hash",
            "overlay(hash placing (CASE WHEN substr(hash, 9, 1) = 'a' THEN 'b' ELSE 'a' END) "
            "from 9 for 1)",
        ),
        ("hash", "upper(hash)"),
        (
            "previous_hash",
            "overlay(previous_hash placing "
            "(CASE WHEN substr(previous_hash, 64, 1) = 'a' THEN 'b' ELSE 'a' END) from 64 for 1)",
        ),
        ("object_id", "'0' || object_id"),
        ("object_id", "object_id || ' '"),
        ("object_id", "'x' || object_id"),
        ("object_id", "'99999999999999999999999'"),
        ("kind", "kind || 's'"),
    ],
    ids=[
        "hash",
        "hash-uppercase",
        "previous-hash",
        "object-id-leading-zero",
        "object-id-trailing-space",
        "object-id-not-a-number",
        "object-id-out-of-range",
        "kind",
    ],
)
def test_a_changed_chain_entry_is_named(deal, seq, column, value):
    as_owner_bypassing_triggers(
        f"UPDATE sib_chain_entry SET {column} = {value} WHERE programme_id = %s AND seq = %s",
        [deal.programme.pk, _at(deal, seq)],
    )
    _assert_broken_at(deal, seq)


@pytest.mark.parametrize("a, b", [(2, 3), (4, 5), (5, 6), (7, 8)])
def test_two_swapped_chain_entries_are_named_at_the_first(deal, a, b):
    as_owner_bypassing_triggers(
        "UPDATE sib_chain_entry SET seq = 1000 WHERE programme_id = %s AND seq = %s",
        [deal.programme.pk, _at(deal, a)],
    )
    as_owner_bypassing_triggers(
        "UPDATE sib_chain_entry SET seq = %s WHERE programme_id = %s AND seq = %s",
        [_at(deal, a), deal.programme.pk, _at(deal, b)],
    )
    as_owner_bypassing_triggers(
        "UPDATE sib_chain_entry SET seq = %s WHERE programme_id = %s AND seq = 1000",
        [_at(deal, b), deal.programme.pk],
    )
    _assert_broken_at(deal, a, "previous hash")


@pytest.mark.parametrize("seq, named", [(1, 2), (3, 4), (6, 7)])
def test_a_missing_chain_entry_is_a_gap_at_the_next(deal, seq, named):
    as_owner_bypassing_triggers(
        "DELETE FROM sib_chain_entry WHERE programme_id = %s AND seq = %s",
        [deal.programme.pk, _at(deal, seq)],
    )
    _assert_broken_at(deal, named, "sequence gap")


def test_a_missing_last_entry_is_named_by_the_head_record(deal):
    # The rest is a whole chain whose head moved back; only the head record says otherwise.
    as_owner_bypassing_triggers(
        "DELETE FROM sib_chain_entry WHERE programme_id = %s AND seq = %s",
        [deal.programme.pk, _at(deal, 8)],
    )
    result = chain_verify(programme_id=deal.programme.pk)
    assert result.entries == _at(deal, 7)
    _assert_broken_at(deal, 8, "the last entries were removed")


def test_a_missing_transaction_is_named_as_missing(deal):
    _, object_id = _entry(deal, 7)
    as_owner_bypassing_triggers(
        "DELETE FROM payments_leg WHERE transaction_id = %s", [int(object_id)]
    )
    as_owner_bypassing_triggers(
        "DELETE FROM payments_drawdown WHERE transaction_id = %s; "
        "DELETE FROM payments_ledger_transaction WHERE id = %s",
        [int(object_id), int(object_id)],
    )
    _assert_broken_at(deal, 7, "missing")


def test_a_changed_note_is_named_by_its_loader(deal):
    _notes["n-4"] = canonical_json({"note": "changed"})
    _assert_broken_at(deal, 4, "hash mismatch")


def test_the_first_of_several_breaks_is_named(deal):
    _, object_id = _entry(deal, 7)
    as_owner_bypassing_triggers(
        "UPDATE payments_ledger_transaction SET description = 'x' WHERE id = %s",
        [int(object_id)],
    )
    as_owner_bypassing_triggers(
        "UPDATE sib_chain_entry SET object_id = 'y' WHERE programme_id = %s AND seq = %s",
        [deal.programme.pk, _at(deal, 6)],
    )
    _notes["n-8"] = "{}"
    _assert_broken_at(deal, 6)
    as_owner_bypassing_triggers(
        "UPDATE sib_chain_entry SET previous_hash = hash WHERE programme_id = %s AND seq = %s",
        [deal.programme.pk, _at(deal, 2)],
    )
    _assert_broken_at(deal, 2)


def test_verifying_in_a_callers_transaction_keeps_its_settings_and_its_transaction(deal):
    def settings_now() -> tuple[str, ...]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('DateStyle'), current_setting('work_mem'), "
                "current_setting('enable_nestloop'), "
                "current_setting('max_parallel_workers_per_gather')"
            )
            return cursor.fetchone()

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL DateStyle = 'SQL, DMY'")
        before = settings_now()
        assert chain_verify(programme_id=deal.programme.pk).ok  # dates written ISO all the same
        assert settings_now() == before
        # A non-numeric ledger object id makes the fast query fail; it is checked again
        # without failing, and the caller's transaction goes on.
        as_owner_bypassing_triggers(
            "UPDATE sib_chain_entry SET object_id = 'x' WHERE programme_id = %s AND seq = %s",
            [deal.programme.pk, _at(deal, 3)],
        )
        _assert_broken_at(deal, 3)
        assert settings_now() == before
        assert LedgerTransaction.objects.filter(programme=deal.programme).count() == 5


@pytest.mark.parametrize(
    "text",
    ['quote " backslash \\ slash /', "line\nbreak\ttab\x01\x1f\x7f", "é 中文 😀 \u2028\u2029", ""],
)
def test_the_ledger_sql_for_this_server_writes_what_python_writes(text):
    deal = make_deal("chainv-text")
    # Posted by the ledger itself: the services refuse control characters in user text
    # (sib.user_text), but rows stored before that rule may hold them.
    cash = ledger.account_for(programme=deal.programme, kind=AccountKind.PROGRAMME_CASH)
    advance = ledger.account_for(
        programme=deal.programme, kind=AccountKind.PAYER_ADVANCE, organisation=deal.payer
    )
    tx = ledger.transaction_post(
        programme=deal.programme,
        kind="payment_received",
        occurred_on=date(2026, 2, 1),
        legs=[ledger.LegSpec(cash, debit=12_345), ledger.LegSpec(advance, credit=12_345)],
        actor=deal.manager,
        description=text,
    )
    reversal = ledger.transaction_post(
        programme=deal.programme,
        kind="reversal",
        occurred_on=date(2026, 2, 1),
        legs=[ledger.LegSpec(advance, debit=12_345), ledger.LegSpec(cash, credit=12_345)],
        reverses=tx,
        reason=text or "r",
    )
    sql = ledger.ledger_canonical_keyed_sql(connection.connection.info.server_version)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL DateStyle = 'ISO'")
        cursor.execute(sql.replace("%(programme_id)s", "%s"), [deal.programme.pk] * 2)
        from_sql = dict(cursor.fetchall())
    for row in (tx, reversal):
        assert from_sql[row.pk] == ledger.transaction_canonical(row, row.legs.all())
    assert chain_verify(programme_id=deal.programme.pk).ok
