"""The routine chain check starts at the last verified checkpoint (issue 16, part 4).

A check that finds the chain whole ends at a signed checkpoint of the head it verified; the
next routine check verifies only the entries after it (links, hashes rebuilt from their
records, records created since without an entry, the head record), and says from which
position it did. A change *before* the checkpoint is the full check's to find. A routine
check whose checkpoint's entry no longer has the signed head refuses to vouch for
anything and asks for a full check.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payments import ledger
from payments.models import LedgerTransaction
from sib.chain_checks import chain_check_request, chain_check_run, chain_checks_schedule
from sib.chain_completeness import NO_ENTRY
from sib.chain_routine import MISMATCH, START_MOVED, chain_verify_since
from sib.models import ChainCheck, ChainCheckpoint, ChainEntry, RoleChange
from sib.services import membership_add
from tests.owner import as_owner_bypassing_triggers
from tests.payments.ledger_support import Deal, make_deal
from tests.sib.test_chain_completeness import _drawdowns, _owner_inserts_transaction

pytestmark = pytest.mark.django_db


def _check(deal: Deal, kind: str) -> ChainCheck:
    return chain_check_run(
        check_id=chain_check_request(programme=deal.programme, user=None, kind=kind).pk
    )


def _seq(tx: LedgerTransaction) -> int:
    return ChainEntry.objects.get(kind=ledger.CHAIN_KIND, object_id=str(tx.pk)).seq


def _head_seq(deal: Deal) -> int:
    return ChainEntry.objects.filter(programme=deal.programme).order_by("-seq")[0].seq


@pytest.fixture
def deal() -> Deal:
    """A programme fully checked once (a checkpoint signed), then 3 more drawdowns."""
    deal = make_deal("routine")
    deal.before = _drawdowns(deal, range(2, 5))  # type: ignore[attr-defined]
    full = _check(deal, "full")
    assert full.result["ok"] and full.kind == "full"
    deal.checked_to = full.to_seq  # type: ignore[attr-defined]
    deal.after = _drawdowns(deal, range(5, 8))  # type: ignore[attr-defined]
    return deal


def test_a_full_check_that_finds_the_chain_whole_ends_at_a_signed_checkpoint():
    deal = make_deal("routine-full")
    _drawdowns(deal, range(2, 4))
    check = _check(deal, "full")
    assert (check.kind, check.from_seq, check.to_seq) == ("full", 0, _head_seq(deal))
    checkpoint = ChainCheckpoint.objects.get(programme=deal.programme, seq=check.to_seq)
    assert checkpoint.head == check.result["head"]


def test_a_routine_check_verifies_only_the_entries_after_the_checkpoint(deal):
    check = _check(deal, "routine")
    assert check.kind == "routine"
    assert check.result["ok"] is True
    assert check.from_seq == deal.checked_to
    assert check.to_seq == _head_seq(deal) == deal.checked_to + 3
    assert check.result["entries"] == 3
    # It ends at a checkpoint too: the next routine check starts there.
    assert ChainCheckpoint.objects.filter(programme=deal.programme, seq=check.to_seq).exists()
    _drawdowns(deal, range(8, 10))
    again = _check(deal, "routine")
    assert (again.from_seq, again.to_seq, again.result["entries"]) == (
        check.to_seq,
        check.to_seq + 2,
        2,
    )
    assert again.result["ok"] is True


def test_a_routine_check_with_nothing_new_verifies_its_start_and_passes(deal):
    first = _check(deal, "routine")
    again = _check(deal, "routine")
    assert again.result["ok"] is True and again.result["entries"] == 0
    assert again.from_seq == again.to_seq == first.to_seq


def test_a_record_changed_after_the_checkpoint_is_named(deal):
    changed = deal.after[1]
    as_owner_bypassing_triggers(
        "UPDATE payments_leg SET debit = debit + 1 WHERE transaction_id = %s AND debit > 0",
        [changed.pk],
    )
    check = _check(deal, "routine")
    assert check.kind == "routine" and check.result["ok"] is False
    assert check.result["first_break"]["seq"] == _seq(changed)
    assert check.result["first_break"]["reason"] == MISMATCH
    # Nothing is signed at a broken head, and the next routine check does not start from it.
    assert not ChainCheckpoint.objects.filter(programme=deal.programme, seq=check.to_seq).exists()
    assert _check(deal, "routine").kind == "full"


def test_a_record_of_a_kind_without_sql_changed_after_the_checkpoint_is_named(deal):
    user = get_user_model().objects.create_user("routine-observer", password="pw-123456789")
    membership_add(programme=deal.programme, user=user, role="observer")
    change = RoleChange.objects.get(user=user)
    as_owner_bypassing_triggers(
        "UPDATE sib_role_change SET role = 'fund_manager' WHERE id = %s", [change.pk]
    )
    check = _check(deal, "routine")
    assert check.result["ok"] is False
    assert check.result["first_break"]["kind"] == "sib.role_change"
    assert check.result["first_break"]["reason"] == MISMATCH


def test_an_entry_deleted_after_the_checkpoint_is_named(deal):
    removed = _seq(deal.after[0])
    as_owner_bypassing_triggers(
        "DELETE FROM sib_chain_entry WHERE programme_id = %s AND seq = %s",
        [deal.programme.pk, removed],
    )
    check = _check(deal, "routine")
    assert check.result["ok"] is False
    assert check.result["first_break"]["seq"] == removed + 1
    assert check.result["first_break"]["reason"] == f"sequence gap: expected {removed}"
    # Its record is still there, without an entry.
    assert {"seq": 0, "kind": ledger.CHAIN_KIND, "object_id": str(deal.after[0].pk)} in [
        {key: gap[key] for key in ("seq", "kind", "object_id")}
        for gap in check.result["gaps"]
        if gap["reason"] == NO_ENTRY
    ]


def test_the_last_entry_deleted_after_the_checkpoint_is_named(deal):
    last = _head_seq(deal)
    as_owner_bypassing_triggers(
        "DELETE FROM sib_chain_entry WHERE programme_id = %s AND seq = %s",
        [deal.programme.pk, last],
    )
    check = _check(deal, "routine")
    assert check.result["ok"] is False
    reasons = [gap["reason"] for gap in check.result["gaps"]]
    assert any(f"entries {last} to {last} are missing" in reason for reason in reasons)
    assert NO_ENTRY in reasons


def test_a_record_added_without_entry_after_the_checkpoint_is_named(deal):
    forged = _owner_inserts_transaction(deal, "forged after the checkpoint")
    check = _check(deal, "routine")
    assert check.kind == "routine" and check.result["ok"] is False
    assert check.result["first_break"] == {
        "seq": 0,
        "kind": ledger.CHAIN_KIND,
        "object_id": str(forged.pk),
        "reason": NO_ENTRY,
    }


def test_a_change_before_the_checkpoint_is_left_to_the_full_check(deal):
    before = deal.before[0]
    as_owner_bypassing_triggers(
        "UPDATE payments_leg SET debit = debit + 1 WHERE transaction_id = %s AND debit > 0",
        [before.pk],
    )
    routine = _check(deal, "routine")
    # The routine check says what it vouches for: the entries after its checkpoint.
    assert routine.result["ok"] is True
    assert routine.from_seq == deal.checked_to > _seq(before)
    full = _check(deal, "full")
    assert full.result["ok"] is False
    assert full.result["first_break"]["seq"] == _seq(before)


def test_a_routine_check_refuses_a_checkpoint_whose_entry_changed(deal):
    as_owner_bypassing_triggers(
        "UPDATE sib_chain_entry SET hash = repeat('a', 64) WHERE programme_id = %s AND seq = %s",
        [deal.programme.pk, deal.checked_to],
    )
    check = _check(deal, "routine")
    assert check.kind == "routine" and check.result["ok"] is False
    assert check.result["entries"] == 0  # nothing after it is vouched for
    assert check.result["first_break"]["seq"] == deal.checked_to
    assert check.result["first_break"]["reason"] == START_MOVED
    # ... and a full check is asked for, which names the checkpoint left behind.
    full = ChainCheck.objects.get(programme=deal.programme, status="queued")
    assert full.kind == "full"
    result = chain_check_run(check_id=full.pk).result
    assert result["ok"] is False
    assert any(
        gap["seq"] == deal.checked_to and "signed checkpoint" in gap["reason"]
        for gap in result["gaps"]
    )


def test_a_full_check_names_a_checkpoint_the_chain_no_longer_passes_through(deal):
    """Rewriting the chain consistently with triggers off still leaves the signed heads."""
    as_owner_bypassing_triggers(
        "UPDATE sib_chain_checkpoint SET head = repeat('b', 64) WHERE programme_id = %s "
        "AND seq = %s",
        [deal.programme.pk, deal.checked_to],
    )
    check = _check(deal, "full")
    assert check.result["ok"] is False
    assert check.result["first_break"]["seq"] == deal.checked_to


def test_a_routine_check_with_no_verified_checkpoint_runs_in_full():
    deal = make_deal("routine-first")
    _drawdowns(deal, range(2, 4))
    check = _check(deal, "routine")
    assert (check.kind, check.from_seq, check.result["ok"]) == ("full", 0, True)


def test_a_checkpoint_whose_signature_does_not_verify_is_not_a_start(deal):
    as_owner_bypassing_triggers(
        "UPDATE sib_chain_checkpoint SET signature = 'AAAA' WHERE programme_id = %s",
        [deal.programme.pk],
    )
    check = _check(deal, "routine")
    assert check.kind == "full" and check.from_seq == 0


def test_the_schedule_runs_routine_checks_and_a_full_one_each_week(deal):
    ChainCheck.objects.update(requested_at=timezone.now() - timedelta(days=2))
    assert chain_checks_schedule() == 1
    routine = ChainCheck.objects.get(status="queued")
    assert routine.kind == "routine"
    chain_check_run(check_id=routine.pk)
    ChainCheck.objects.update(requested_at=timezone.now() - timedelta(days=8))
    assert chain_checks_schedule() == 1
    assert ChainCheck.objects.get(status="queued").kind == "full"


def test_the_page_says_which_check_ran_and_from_where(deal):
    check = _check(deal, "routine")
    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = "en"
    url = reverse("portal:ledger-verify", args=[deal.programme.pk])
    page = client.get(url).content.decode()
    assert 'data-check-kind="routine"' in page
    assert f"entries {check.from_seq + 1} to {check.to_seq}" in page
    # The page's button asks for a full check.
    client.post(url)
    assert ChainCheck.objects.get(programme=deal.programme, status="queued").kind == "full"


def test_every_query_of_a_routine_check_reads_by_index(deal):
    """No full scan: with sequential scans priced out, no plan keeps one."""
    full = ChainCheck.objects.get(programme=deal.programme, kind="full")
    checkpoint = ChainCheckpoint.objects.get(programme=deal.programme, seq=full.to_seq)
    with CaptureQueriesContext(connection) as queries:
        routine = chain_verify_since(
            programme_id=deal.programme.pk,
            from_seq=checkpoint.seq,
            from_head=checkpoint.head,
            record_keys=full.result["record_keys"],
        )
    assert routine.ok and routine.entries == 3
    reads = [q["sql"] for q in queries if " FROM " in q["sql"].upper()]
    # The start, the records since, the entries, their records, the head (two).
    assert len(reads) == 6
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in reads:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan" not in plan, f"{sql}\n{plan}"
