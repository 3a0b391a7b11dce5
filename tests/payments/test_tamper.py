"""Changing one byte of a stored ledger row, as the database owner, is caught and named."""

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from payments import services
from sib.chain_verification import chain_verify
from sib.models import ChainEntry
from tests.owner import as_owner_bypassing_triggers
from tests.payments.ledger_support import make_deal
from tests.support import run_pending_chain_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal():
    deal = make_deal("tamper")
    for month in range(2, 7):
        services.drawdown_record(
            commitment=deal.commitment,
            called_on=date(2026, month, 1),
            amount=1000 + month,
            actor=None,
        )
    return deal


def _third_transaction(deal):  # type: ignore[no-untyped-def]
    return deal.commitment.drawdowns.order_by("id")[2].transaction


def _seq(tx) -> int:  # type: ignore[no-untyped-def]
    # After the set-up's contract versions (payments.contract) and two drawdowns.
    return ChainEntry.objects.get(kind="ledger_transaction", object_id=str(tx.pk)).seq


def test_untouched_chain_verifies(deal):
    result = chain_verify(programme_id=deal.programme.pk)
    set_up = ChainEntry.objects.filter(
        kind__in=["payments.contract_version", "sib.role_change"]
    ).count()
    assert result.ok and result.entries == set_up + 5  # then five drawdowns
    call_command("ledger_verify", deal.programme.slug)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE payments_leg SET debit = debit + 1 WHERE transaction_id = %s AND debit > 0",
        "UPDATE payments_leg SET credit = credit - 1 WHERE transaction_id = %s AND credit > 0",
        "UPDATE payments_ledger_transaction SET occurred_on = occurred_on + 1 WHERE id = %s",
        "UPDATE payments_ledger_transaction SET description = description || '.' WHERE id = %s",
        "DELETE FROM payments_leg WHERE transaction_id = %s AND debit > 0",
        "UPDATE sib_chain_entry SET hash = overlay(hash placing "
        "(CASE WHEN substr(hash, 1, 1) = 'a' THEN 'b' ELSE 'a' END) from 1 for 1) "
        "WHERE object_id = %s::text AND kind = 'ledger_transaction'",
    ],
    ids=["leg-debit", "leg-credit", "date", "description", "leg-deleted", "chain-hash"],
)
def test_one_changed_byte_is_named_by_ledger_verify(deal, sql, capsys):
    tx = _third_transaction(deal)
    as_owner_bypassing_triggers(sql, [tx.pk])
    result = chain_verify(programme_id=deal.programme.pk)
    assert not result.ok
    assert result.first_break.object_id == str(tx.pk)
    assert result.first_break.seq == _seq(tx)
    with pytest.raises(CommandError):
        call_command("ledger_verify", deal.programme.slug)
    out = capsys.readouterr().out
    assert f"BROKEN at seq {_seq(tx)}, kind ledger_transaction, object {tx.pk}" in out


def test_a_removed_chain_entry_is_reported_as_a_gap(deal):
    tx = _third_transaction(deal)
    seq = _seq(tx)
    as_owner_bypassing_triggers(
        "DELETE FROM sib_chain_entry WHERE object_id = %s::text AND kind = 'ledger_transaction'",
        [tx.pk],
    )
    result = chain_verify(programme_id=deal.programme.pk)
    assert result.first_break.seq == seq + 1
    assert "sequence gap" in result.first_break.reason


def test_the_portal_check_names_the_tampered_entry(deal):
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = "en"
    url = reverse("portal:ledger-verify", args=[deal.programme.pk])
    before = client.get(url).content.decode()
    assert "data-ok=" not in before  # the page explains first; it checks when asked
    client.post(url)
    assert 'data-check-status="queued"' in client.get(url).content.decode()
    run_pending_chain_check(deal.programme)
    assert 'data-ok="true"' in client.get(url).content.decode()

    tx = _third_transaction(deal)
    as_owner_bypassing_triggers(
        "UPDATE payments_leg SET debit = debit + 1 WHERE transaction_id = %s AND debit > 0",
        [tx.pk],
    )
    client.post(url)
    run_pending_chain_check(deal.programme)
    html = client.get(url).content.decode()
    assert 'data-ok="false"' in html
    assert f"Position {_seq(tx)}: ledger_transaction {tx.pk}" in html
    assert "hash mismatch" in html
