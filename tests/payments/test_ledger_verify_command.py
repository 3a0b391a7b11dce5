"""`ledger_verify --routine`: the routine check from the command line (issue 16).

From the signed checkpoint where the programme's last check ended, it checks only the
entries after it and says which (entries from_seq+1 to to_seq) and from which checkpoint.
With nowhere to start (no check before, the last one found a break, the checkpoint gone or
not signed by the current key) it runs the full check and says why. Exit 0 when the chain
is whole, 1 when it is broken, as the full check. It records and signs nothing.
"""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from payments.models import LedgerTransaction
from sib.chain_checks import (
    CHECKPOINT_UNSOUND,
    LAST_BROKEN,
    NO_CHECK,
    chain_check_request,
    chain_check_run,
)
from sib.models import ChainCheck, ChainCheckpoint, ChainEntry
from tests.owner import as_owner_bypassing_triggers
from tests.payments.ledger_support import Deal, make_deal
from tests.sib.test_chain_completeness import _drawdowns

pytestmark = pytest.mark.django_db

CHANGE_A_LEG = "UPDATE payments_leg SET debit = debit + 1 WHERE transaction_id = %s AND debit > 0"


def _head_seq(deal: Deal) -> int:
    return ChainEntry.objects.filter(programme=deal.programme).order_by("-seq")[0].seq


def _seq(tx: LedgerTransaction) -> int:
    return ChainEntry.objects.get(kind="ledger_transaction", object_id=str(tx.pk)).seq


def _worker_check(deal: Deal, kind: str) -> ChainCheck:
    check = chain_check_request(programme=deal.programme, user=None, kind=kind)
    return chain_check_run(check_id=check.pk)


def _verify(deal: Deal, capsys, *options: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """Run the command; return its exit code and what it printed."""
    try:
        call_command("ledger_verify", deal.programme.slug, *options)
    except CommandError as error:
        return error.returncode, capsys.readouterr().out
    return 0, capsys.readouterr().out


@pytest.fixture
def deal() -> Deal:
    """A programme fully checked by the worker (a checkpoint signed), then 3 more drawdowns."""
    deal = make_deal("verify-routine")
    deal.before = _drawdowns(deal, range(2, 5))  # type: ignore[attr-defined]
    full = _worker_check(deal, "full")
    assert full.result["ok"]
    deal.checkpoint = ChainCheckpoint.objects.get(  # type: ignore[attr-defined]
        programme=deal.programme, seq=full.to_seq
    )
    deal.after = _drawdowns(deal, range(5, 8))  # type: ignore[attr-defined]
    return deal


def test_routine_checks_the_entries_after_the_last_checkpoint_and_says_which(deal, capsys):
    checkpoint = deal.checkpoint
    head = _head_seq(deal)
    assert head == checkpoint.seq + 3
    code, out = _verify(deal, capsys, "--routine")
    assert code == 0
    assert (
        f"{deal.programme.slug}: ok, routine check of entries {checkpoint.seq + 1} to {head} "
        f"(3 entries) after the signed checkpoint at seq {checkpoint.seq} "
        f"(head {checkpoint.head}, signed "
    ) in out
    assert f"entries up to seq {checkpoint.seq} are the full check's" in out
    assert "full check instead" not in out


def test_routine_records_nothing_and_signs_nothing(deal, capsys):
    checks = list(ChainCheck.objects.values_list("pk", "status"))
    checkpoints = ChainCheckpoint.objects.count()
    assert _verify(deal, capsys, "--routine")[0] == 0
    assert list(ChainCheck.objects.values_list("pk", "status")) == checks
    assert ChainCheckpoint.objects.count() == checkpoints
    # So a second run starts from the same checkpoint.
    assert f"at seq {deal.checkpoint.seq} " in _verify(deal, capsys, "--routine")[1]


def test_routine_starts_where_the_workers_last_check_ended(deal, capsys):
    routine = _worker_check(deal, "routine")
    assert routine.kind == "routine" and routine.to_seq == _head_seq(deal)
    code, out = _verify(deal, capsys, "--routine")
    assert code == 0
    assert f"routine check: no entry after the signed checkpoint at seq {routine.to_seq} " in out


def test_routine_names_a_record_changed_after_the_checkpoint_and_exits_1(deal, capsys):
    changed = deal.after[1]
    as_owner_bypassing_triggers(CHANGE_A_LEG, [changed.pk])
    code, out = _verify(deal, capsys, "--routine")
    assert code == 1
    assert f"BROKEN at seq {_seq(changed)}, kind ledger_transaction, object {changed.pk}" in out
    assert f"routine check of entries {deal.checkpoint.seq + 1} to {_head_seq(deal)}" in out


def test_a_record_changed_before_the_checkpoint_is_the_full_checks(deal, capsys):
    """What the routine check vouches for is what it names: the entries after its start."""
    changed = deal.before[0]
    as_owner_bypassing_triggers(CHANGE_A_LEG, [changed.pk])
    assert _verify(deal, capsys, "--routine")[0] == 0
    code, out = _verify(deal, capsys)
    assert code == 1
    assert f"BROKEN at seq {_seq(changed)}" in out


def test_routine_refuses_a_checkpoint_whose_entry_changed(deal, capsys):
    as_owner_bypassing_triggers(
        "UPDATE sib_chain_entry SET hash = repeat('a', 64) WHERE programme_id = %s AND seq = %s",
        [deal.programme.pk, deal.checkpoint.seq],
    )
    code, out = _verify(deal, capsys, "--routine")
    assert code == 1
    assert f"BROKEN at seq {deal.checkpoint.seq}" in out
    assert "a full check is needed" in out
    assert "routine check: nothing verified after the signed checkpoint" in out


def test_routine_with_no_check_before_runs_in_full_and_says_why(capsys):
    deal = make_deal("verify-first")
    _drawdowns(deal, range(2, 4))
    code, out = _verify(deal, capsys, "--routine")
    assert code == 0
    slug = deal.programme.slug
    assert f"{slug}: no routine check: {NO_CHECK}; a full check instead" in out
    assert f"{slug}: ok, {_head_seq(deal)} entries, head " in out


def test_routine_after_a_check_that_found_a_break_runs_in_full(deal, capsys):
    as_owner_bypassing_triggers(CHANGE_A_LEG, [deal.after[0].pk])
    broken = _worker_check(deal, "full")
    assert not broken.result["ok"]
    code, out = _verify(deal, capsys, "--routine")
    assert code == 1
    assert f"no routine check: {LAST_BROKEN.format(check=broken.pk)}; a full check" in out
    assert f"BROKEN at seq {_seq(deal.after[0])}" in out


def test_routine_from_a_checkpoint_whose_signature_fails_runs_in_full(deal, capsys):
    as_owner_bypassing_triggers(
        "UPDATE sib_chain_checkpoint SET signature = 'AAAA' WHERE programme_id = %s",
        [deal.programme.pk],
    )
    code, out = _verify(deal, capsys, "--routine")
    # The chain itself is whole; the full check says so after saying why it ran.
    assert code == 0
    assert CHECKPOINT_UNSOUND.format(seq=deal.checkpoint.seq) in out
    assert f"ok, {_head_seq(deal)} entries" in out


def test_the_full_check_names_a_signed_checkpoint_the_chain_left(deal, capsys):
    """As the worker's full check: a chain rewritten consistently still leaves signed heads."""
    as_owner_bypassing_triggers(
        "UPDATE sib_chain_checkpoint SET head = repeat('b', 64) WHERE programme_id = %s "
        "AND seq = %s",
        [deal.programme.pk, deal.checkpoint.seq],
    )
    code, out = _verify(deal, capsys)
    assert code == 1
    assert f"BROKEN at seq {deal.checkpoint.seq}" in out
    assert "no longer passes through the signed checkpoint" in out
