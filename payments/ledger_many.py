"""Posting many ledger transactions at once: a history load's drawdowns and payments.

`transactions_post_many` writes, for a list of postings in order, exactly the rows and
chain entries that `ledger.transaction_post` called once per posting writes, in the same
order (so with the same ids, the same canonical JSON, the same hashes and the same chain
head): the transactions in one INSERT, their legs in one, their chain entries in one
(`sib.chain.chain_append_many`). The checks are the same (`_check_legs`, `date_check`),
all made before the first row is written; the database's rules fire as for one posting:
the balance triggers (made immediate once, for every transaction), the insert-only
triggers, the chain head's statement trigger and, at commit, the completeness check.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from payments.ledger import (
    CHAIN_KIND,
    LegSpec,
    _check_balance_now,
    _check_legs,
    date_check,
    transaction_canonical,
)
from payments.models import LedgerTransaction, Leg
from sib.chain import chain_append_many
from sib.models import Programme, User


@dataclass(frozen=True)
class Posting:
    """One balanced transaction to post, as `transaction_post` takes it (no reversal)."""

    kind: str
    occurred_on: date
    legs: Sequence[LegSpec]
    actor: User | None = None
    description: str = ""


def transactions_post_many(
    *, programme: Programme, postings: Sequence[Posting]
) -> list[LedgerTransaction]:
    """Post the transactions in order and chain them, atomically: one statement per table."""
    for posting in postings:
        _check_legs(programme, posting.legs)
        date_check(programme=programme, kind=posting.kind, on=posting.occurred_on)
    if not postings:
        return []
    with transaction.atomic():
        txs = LedgerTransaction.objects.bulk_create(
            [
                LedgerTransaction(
                    programme=programme,
                    kind=posting.kind,
                    occurred_on=posting.occurred_on,
                    description=posting.description,
                    actor=posting.actor,
                )
                for posting in postings
            ]
        )
        legs = Leg.objects.bulk_create(
            [
                Leg(
                    transaction=tx,
                    account=leg.account,
                    debit=leg.debit,
                    credit=leg.credit,
                    currency=leg.account.currency,
                )
                for tx, posting in zip(txs, postings, strict=True)
                for leg in posting.legs
            ]
        )
        _check_balance_now()
        by_tx: dict[int, list[Leg]] = {}
        for leg in legs:
            by_tx.setdefault(leg.transaction_id, []).append(leg)
        chain_append_many(
            programme=programme,
            kind=CHAIN_KIND,
            records=[(tx.pk, transaction_canonical(tx, by_tx[tx.pk])) for tx in txs],
        )
    return txs
