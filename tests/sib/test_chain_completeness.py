"""The chain is complete: no record without its entry, no lost tail, no TRUNCATE.

Reproduces the holes of issue 12 (part 2): a ledger transaction inserted as the application
role with no chain entry, the last chain entry deleted with its record, a chain entry
deleted with its record left, TRUNCATE by the owner — each used to verify as "ok".
"""

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction

from payments import ledger, services
from payments.models import AccountKind, LedgerTransaction, TransactionKind
from sib.chain_completeness import NO_ENTRY
from sib.chain_verification import chain_verify
from sib.db.insert_only import insert_only_tables
from sib.db.privileges import app_read_only_tables
from sib.models import ChainEntry, ChainHead
from tests.owner import as_owner_bypassing_triggers
from tests.payments.ledger_support import Deal, make_deal

pytestmark = pytest.mark.django_db


def _drawdowns(deal: Deal, months: range) -> list[LedgerTransaction]:
    return [
        services.drawdown_record(
            commitment=deal.commitment, called_on=date(2026, m, 1), amount=100 * m, actor=None
        ).transaction
        for m in months
    ]


@pytest.fixture
def deal() -> Deal:
    deal = make_deal("complete")
    _drawdowns(deal, range(2, 6))
    return deal


def _unchained_transaction(deal: Deal) -> LedgerTransaction:
    """A balanced transaction written straight through the ORM: no chain_append."""
    cash = ledger.account_for(programme=deal.programme, kind=AccountKind.PROGRAMME_CASH)
    payer = ledger.account_for(
        programme=deal.programme, kind=AccountKind.PAYER_RECEIVABLE, organisation=deal.payer
    )
    tx = LedgerTransaction.objects.create(
        programme=deal.programme,
        kind=TransactionKind.PAYMENT_RECEIVED,
        occurred_on=date(2026, 3, 1),
        description="no chain entry",
    )
    tx.legs.create(account=cash, debit=500, credit=0, currency="EUR")
    tx.legs.create(account=payer, debit=0, credit=500, currency="EUR")
    return tx


def _last_entry(deal: Deal) -> ChainEntry:
    return ChainEntry.objects.filter(programme=deal.programme).order_by("-seq").first()


@pytest.mark.django_db(transaction=True)
def test_a_ledger_transaction_without_chain_entry_cannot_commit():
    deal = make_deal("complete-commit")
    before = LedgerTransaction.objects.count()
    with pytest.raises(IntegrityError, match="has no chain entry"), transaction.atomic():
        _unchained_transaction(deal)
    assert LedgerTransaction.objects.count() == before
    assert chain_verify(programme_id=deal.programme.pk).ok


def test_the_completeness_check_runs_at_commit_not_at_insert(deal):
    with pytest.raises(IntegrityError, match="has no chain entry"), transaction.atomic():
        tx = _unchained_transaction(deal)
        assert tx.pk  # written: the check waits for the commit
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT does


def test_a_chain_entry_on_another_programme_does_not_count(deal):
    other = make_deal("complete-other")
    with pytest.raises(IntegrityError, match="another programme"), transaction.atomic():
        tx = _unchained_transaction(deal)
        ChainEntry.objects.create(
            programme=other.programme,
            seq=_last_entry(other).seq + 1 if _last_entry(other) else 1,
            kind=ledger.CHAIN_KIND,
            object_id=str(tx.pk),
            previous_hash=_last_entry(other).hash if _last_entry(other) else "0" * 64,
            hash="f" * 64,
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _owner_inserts_transaction(deal: Deal, description: str) -> LedgerTransaction:
    """A balanced transaction written by the owner with triggers off: no chain entry."""
    cash = ledger.account_for(programme=deal.programme, kind=AccountKind.PROGRAMME_CASH)
    payer = ledger.account_for(
        programme=deal.programme, kind=AccountKind.PAYER_RECEIVABLE, organisation=deal.payer
    )
    as_owner_bypassing_triggers(
        """
        WITH tx AS (
            INSERT INTO payments_ledger_transaction
                (programme_id, kind, occurred_on, description, reason, idempotency_key,
                 created_at)
            VALUES (%s, 'payment_received', '2026-03-01', %s, '', '', now()) RETURNING id)
        INSERT INTO payments_leg (transaction_id, account_id, debit, credit, currency)
        SELECT tx.id, v.account, v.debit, v.credit, 'EUR'
          FROM tx, (VALUES (%s::bigint, 500, 0), (%s::bigint, 0, 500)) v(account, debit, credit)
        """,
        [deal.programme.pk, description, cash.pk, payer.pk],
    )
    return LedgerTransaction.objects.get(description=description)


def test_a_transaction_inserted_by_the_owner_without_entry_is_named(deal, capsys):
    tx = _owner_inserts_transaction(deal, "forged")
    result = chain_verify(programme_id=deal.programme.pk)
    assert not result.ok
    assert result.first_break.kind == ledger.CHAIN_KIND
    assert result.first_break.object_id == str(tx.pk)
    assert result.first_break.reason == NO_ENTRY
    assert result.counts[ledger.CHAIN_KIND] == (5, 4)
    with pytest.raises(CommandError):
        call_command("ledger_verify", deal.programme.slug)
    out = capsys.readouterr().out
    assert f"kind ledger_transaction, object {tx.pk}: the record has no chain entry" in out
    assert "ledger_transaction 5 records / 4 entries" in out


def test_the_last_entry_deleted_with_its_record_is_named(deal, capsys):
    last = _last_entry(deal)
    tx_id = int(last.object_id)
    as_owner_bypassing_triggers(
        "DELETE FROM payments_drawdown WHERE transaction_id = %(tx)s; "
        "DELETE FROM payments_leg WHERE transaction_id = %(tx)s; "
        "DELETE FROM payments_ledger_transaction WHERE id = %(tx)s; "
        "DELETE FROM sib_chain_entry WHERE id = %(entry)s",
        {"tx": tx_id, "entry": last.pk},  # type: ignore[arg-type]
    )
    result = chain_verify(programme_id=deal.programme.pk)
    assert not result.ok
    assert result.first_break.seq == last.seq
    assert "the last entries were removed" in result.first_break.reason
    with pytest.raises(CommandError):
        call_command("ledger_verify", deal.programme.slug)
    assert f"BROKEN at seq {last.seq}" in capsys.readouterr().out


def test_a_middle_entry_deleted_with_its_record_left_names_the_gap_and_the_record(deal):
    middle = ChainEntry.objects.filter(programme=deal.programme, kind=ledger.CHAIN_KIND).order_by(
        "seq"
    )[1]
    as_owner_bypassing_triggers("DELETE FROM sib_chain_entry WHERE id = %s", [middle.pk])
    result = chain_verify(programme_id=deal.programme.pk)
    assert result.first_break.seq == middle.seq + 1
    assert "sequence gap" in result.first_break.reason
    assert (0, ledger.CHAIN_KIND, middle.object_id, NO_ENTRY) in [
        (g.seq, g.kind, g.object_id, g.reason) for g in result.gaps
    ]


def test_a_record_deleted_with_its_entry_left_is_named(deal):
    entry = ChainEntry.objects.filter(programme=deal.programme, kind=ledger.CHAIN_KIND).order_by(
        "seq"
    )[2]
    as_owner_bypassing_triggers(
        "DELETE FROM payments_drawdown WHERE transaction_id = %(tx)s; "
        "DELETE FROM payments_leg WHERE transaction_id = %(tx)s; "
        "DELETE FROM payments_ledger_transaction WHERE id = %(tx)s",
        {"tx": int(entry.object_id)},  # type: ignore[arg-type]
    )
    result = chain_verify(programme_id=deal.programme.pk)
    assert (result.first_break.seq, result.first_break.reason) == (
        entry.seq,
        "the chained record is missing",
    )
    assert result.counts[ledger.CHAIN_KIND] == (3, 4)
    assert any(g.seq == entry.seq and "gone" in g.reason for g in result.gaps)


def test_entries_appended_with_triggers_off_are_named(deal):
    last = _last_entry(deal)
    tx = _owner_inserts_transaction(deal, "appended behind the triggers")
    as_owner_bypassing_triggers(
        "INSERT INTO sib_chain_entry (programme_id, seq, kind, object_id, previous_hash, hash, "
        "imported, created_at) VALUES (%s, %s, 'ledger_transaction', %s, %s, %s, false, now())",
        [deal.programme.pk, last.seq + 1, str(tx.pk), last.hash, "e" * 64],
    )
    result = chain_verify(programme_id=deal.programme.pk)
    assert not result.ok
    assert any("triggers off" in g.reason for g in result.gaps)


def test_the_owner_truncating_the_ledger_and_chain_with_triggers_off_is_named(deal):
    head = ChainHead.objects.get(programme=deal.programme)
    as_owner_bypassing_triggers(
        "TRUNCATE payments_drawdown, payments_leg, payments_ledger_transaction, "
        "sib_chain_entry CASCADE",
        [],
    )
    result = chain_verify(programme_id=deal.programme.pk)
    assert not result.ok and result.entries == 0
    assert f"the chain is empty but its head record says it reached seq {head.seq}" in (
        result.first_break.reason
    )


# --- The chain's own guards -------------------------------------------------------------


def test_the_app_role_cannot_write_the_head_record(deal):
    head = ChainHead.objects.get(programme=deal.programme)
    for sql in (
        "UPDATE sib_chain_head SET seq = seq - 1",
        "DELETE FROM sib_chain_head",
        "INSERT INTO sib_chain_head (programme_id, seq, hash, updated_at) "
        "SELECT id, 1, '', now() FROM sib_programme",
        "TRUNCATE sib_chain_head CASCADE",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert ChainHead.objects.get(programme=deal.programme) == head
    assert "sib_chain_head" in app_read_only_tables()


def test_the_owner_cannot_write_the_head_record_with_triggers_on(deal):
    head = ChainHead.objects.get(programme=deal.programme)
    for sql in ("UPDATE sib_chain_head SET seq = seq - 1", "DELETE FROM sib_chain_head"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{connection.settings_dict["OWNER"]["USER"]}"')
            cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    head.refresh_from_db()
    assert head.seq == _last_entry(deal).seq and head.hash == _last_entry(deal).hash


@pytest.mark.parametrize(
    "seq_offset, previous",
    [(2, "head"), (0, "head"), (1, "zeros"), (1, "other")],
    ids=["skips-a-seq", "repeats-the-head-seq", "previous-is-genesis", "previous-is-forged"],
)
def test_an_entry_that_does_not_follow_the_head_is_refused(deal, seq_offset, previous):
    last = _last_entry(deal)
    previous_hash = {"head": last.hash, "zeros": "0" * 64, "other": "a" * 64}[previous]
    with pytest.raises(IntegrityError), transaction.atomic():
        ChainEntry.objects.create(
            programme=deal.programme,
            seq=last.seq + seq_offset,
            kind="test.forged",
            object_id="1",
            previous_hash=previous_hash,
            hash="b" * 64,
        )
    assert _last_entry(deal) == last


# --- TRUNCATE, refused to everyone ------------------------------------------------------


def _guarded_tables() -> list[str]:
    return sorted({*insert_only_tables(), *app_read_only_tables()})


def test_every_insert_only_table_has_a_truncate_trigger():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
             WHERE NOT t.tgisinternal AND t.tgtype & 32 <> 0 AND t.tgtype & 2 <> 0
               AND t.tgfoid = 'sib_refuse_truncate'::regproc
            """
        )
        guarded = {row[0] for row in cursor.fetchall()}
    assert set(_guarded_tables()) - guarded == set()


@pytest.mark.parametrize("table", _guarded_tables())
def test_the_owner_cannot_truncate(deal, table):
    refused = pytest.raises(DatabaseError, match="TRUNCATE")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{connection.settings_dict["OWNER"]["USER"]}"')
        cursor.execute(f'TRUNCATE "{table}" CASCADE')
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")  # the failed savepoint took SET ROLE back
        assert cursor.fetchone()[0] == connection.settings_dict["APP_ROLE"]
    assert chain_verify(programme_id=deal.programme.pk).ok


def test_the_portal_check_lists_what_is_missing(deal):
    from django.test import Client
    from django.urls import reverse

    from tests.support import run_pending_chain_check

    tx = _owner_inserts_transaction(deal, "forged for the portal")
    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = "en"
    url = reverse("portal:ledger-verify", args=[deal.programme.pk])
    client.post(url)
    run_pending_chain_check(deal.programme)
    html = client.get(url).content.decode()
    assert 'data-ok="false"' in html
    assert "What is missing" in html
    assert f"No chain entry: ledger_transaction {tx.pk} — the record has no chain entry" in html


def test_the_counts_taken_on_the_way_are_the_counts_in_the_table(deal):
    from sib.role_changes import CHAIN_KIND as ROLE_CHANGE

    result = chain_verify(programme_id=deal.programme.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, count(*) FROM sib_chain_entry WHERE programme_id = %s GROUP BY kind",
            [deal.programme.pk],
        )
        in_table = dict(cursor.fetchall())
    assert result.ok
    assert {kind: entries for kind, (_, entries) in result.counts.items() if entries} == in_table
    assert result.counts[ROLE_CHANGE] == (1, 1) and result.counts[ledger.CHAIN_KIND] == (4, 4)
