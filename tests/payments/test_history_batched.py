"""History posted in batches (issue 15): a run of drawdowns and payments received is
written one statement per table, and the ledger it leaves is the one the services leave
entry by entry, byte for byte: the same transactions, legs, drawdowns and accounts, the
same canonical records, the same hashes and the same chain head; and it verifies."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import translation

from payments.history_format import history_one_by_one
from payments.history_posting import history_money_post
from payments.ledger import CHAIN_KIND
from payments.models import Account, Drawdown, LedgerTransaction, Leg
from payments.outcome_payments import RECOMPUTE_TASK
from sib.chain import chain_canonical_texts
from sib.chain_verification import chain_verify
from sib.demo import demo_definition
from sib.models import (
    ChainEntry,
    ChainHead,
    Organisation,
    OutboxMessage,
    Programme,
    RoleChange,
    User,
)
from sib.programme_format import DefinitionError, programme_definition_load


@pytest.fixture
def creator(db):
    User.objects.create(username="evaluator")
    User.objects.create(username="lead")
    return User.objects.create(username="manager")


def _document():  # type: ignore[no-untyped-def]
    """The demo deal's history (drawdowns, two verified results, a payment settling what
    the State owes) with more around it: advances before any due, a payment after the
    results that settles what is owed and credits the rest to the advance, drawdowns on
    every commitment, so that the money entries fall into several runs between results."""
    document = demo_definition()
    history = document["history"]
    history["drawdowns"] += [
        {"on": f"2026-{month:02d}-10", "tranche": tranche, "investor": investor, "amount": 1_000}
        for month in range(2, 12)
        for tranche, investor in (
            ("senior", "banque-solidaire"),
            ("senior", "fondation-terre"),
            ("junior", "fonds-impact"),
        )
    ]
    history["payments_received"] += [
        {"on": "2026-03-01", "payer": "etat", "amount": 5_000, "advance": True},
        {"on": "2026-03-01", "payer": "departement-13", "amount": 7_000, "advance": True},
        {"on": "2026-11-21", "payer": "departement-13", "amount": 9_000_000, "advance": True},
        {"on": "2026-11-22", "payer": "etat", "amount": 250, "advance": True},
    ]
    return document


def _ledger(programme: Programme) -> dict[str, list]:  # type: ignore[type-arg]
    """Every row the load wrote to the ledger and the chain, ids included."""
    entries = list(
        ChainEntry.objects.filter(programme=programme)
        .order_by("seq")
        .values_list("seq", "kind", "object_id", "previous_hash", "hash", "imported")
    )
    ledger_ids = [object_id for _s, kind, object_id, *_rest in entries if kind == CHAIN_KIND]
    canonical = chain_canonical_texts(kind=CHAIN_KIND, object_ids=ledger_ids)
    return {
        "programme": [programme.pk],
        "chain": entries,
        "canonical": [canonical[object_id] for object_id in ledger_ids],
        "head": list(ChainHead.objects.filter(programme=programme).values_list("seq", "hash")),
        "transactions": list(
            LedgerTransaction.objects.filter(programme=programme)
            .order_by("id")
            .values_list(
                "id", "kind", "occurred_on", "description", "actor_id", "reason", "reverses_id"
            )
        ),
        "legs": list(
            Leg.objects.filter(transaction__programme=programme)
            .order_by("id")
            .values_list("id", "transaction_id", "account_id", "debit", "credit", "currency")
        ),
        "drawdowns": list(
            Drawdown.objects.filter(programme=programme)
            .order_by("id")
            .values_list("id", "commitment_id", "called_on", "amount", "transaction_id")
        ),
        "accounts": list(
            Account.objects.filter(programme=programme)
            .order_by("id")
            .values_list("id", "code", "kind", "organisation_id", "commitment_id")
        ),
        "recomputes": list(
            OutboxMessage.objects.filter(task_name=RECOMPUTE_TASK).values_list("kwargs")
        ),
    }


def _sequences() -> list[tuple[str, int | None]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{connection.settings_dict["OWNER"]["USER"]}"')
        cursor.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value "
            "FROM pg_sequences WHERE schemaname = current_schema()"
        )
        values = cursor.fetchall()
        cursor.execute("RESET ROLE")
        return values


def _sequences_set(values: list[tuple[str, int | None]]) -> None:
    """Put the sequences back (as the owner: the application may only draw from them)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{connection.settings_dict["OWNER"]["USER"]}"')
        try:
            for name, last in values:
                cursor.execute("SELECT setval(%s, %s, %s)", [name, last or 1, last is not None])
        finally:
            cursor.execute("RESET ROLE")


class _Undo(Exception):
    pass


@pytest.mark.django_db
def test_a_batched_history_writes_what_the_services_write_one_by_one(creator, monkeypatch):
    """Loaded one by one, rolled back, the sequences put back where they were, loaded
    again in batches: every id, row, canonical record and hash is the same, and so is
    the chain head; one recompute is queued either way. (The memberships' role changes,
    chained before the history, carry their time: it is held still for both loads.)"""
    at = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(RoleChange._meta.get_field("created_at"), "_get_default", lambda: at)
    document = _document()
    sequences = _sequences()
    try:
        with transaction.atomic():
            with history_one_by_one():
                programme = programme_definition_load(document, creator=creator)
            one_by_one = _ledger(programme)
            raise _Undo
    except _Undo:
        pass
    assert not Programme.objects.exists()
    _sequences_set(sequences)

    programme = programme_definition_load(document, creator=creator)

    batched = _ledger(programme)
    assert len(batched["drawdowns"]) == 6 + 30
    for table, rows in one_by_one.items():
        assert batched[table] == rows, table
    assert len(batched["chain"]) > 40
    assert batched["recomputes"] == [({"programme_id": programme.pk},)]
    verification = chain_verify(programme_id=programme.pk)
    assert verification.ok
    assert verification.head == batched["head"][0][1]


@pytest.mark.django_db
def test_a_batched_run_counts_the_payments_before_an_entry_in_it(creator):
    """The State owes 7,252,000 after the two results, less its advance of 5,000 paid in
    March (applied to them); it pays 3,472,000 on 20 November (the demo's payment) and
    3,775,000 on 21 November: 7,252,000 - 5,000 - 3,472,000 - 3,775,000 = 0 left.
    The 250 it pays on 22 November, in the same run, is then more than it owes: refused
    at its path with the service's words unless it is an advance (read once
    before the run, the position would still say 3,775,000); nothing is written."""
    document = _document()
    payments = document["history"]["payments_received"]
    payments.append({"on": "2026-11-21", "payer": "etat", "amount": 3_775_000})
    payments[4]["advance"] = False
    with translation.override("en"), pytest.raises(DefinitionError) as error:
        programme_definition_load(document, creator=creator)
    errors = dict(error.value.errors)
    assert not Programme.objects.exists()
    assert "owes €0.00 now" in errors["history.payments_received[4]"]
    assert "record it as an advance" in errors["history.payments_received[4]"]


@pytest.mark.django_db
def test_every_payment_of_a_run_must_be_a_positive_amount_not_only_a_payers_first(creator):
    """The State pays an advance of 100 then 0 in one run, the JSON Schema bypassed: the
    second payment is refused at its own path with the service's words (the ledger would
    otherwise refuse its zero legs without saying which entry), and nothing is written."""
    programme = programme_definition_load(demo_definition(), creator=creator)
    before = _ledger(programme)
    etat = Organisation.objects.get(slug="etat")
    entries = [
        (
            f"history.payments_received[{i}]",
            "payments_received",
            date(2026, 11, 23),
            {"on": "2026-11-23", "payer": "etat", "amount": amount, "advance": True},
        )
        for i, amount in enumerate([100, 0])
    ]
    with translation.override("en"), pytest.raises(ValidationError) as error:
        history_money_post(
            programme=programme,
            entries=entries,
            actor=creator,
            commitments={},
            payers={"etat": etat},
        )
    assert error.value.message_dict == {
        "history.payments_received[1]": ["A payment is a positive int of minor units."]
    }
    assert _ledger(programme) == before
