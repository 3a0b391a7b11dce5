"""A history load's drawdowns and payments received, posted together (issue 15).

`history_money_post` takes a run of consecutive history entries that are drawdowns and
payments received (between two results or guarantee movements, which go through their
own services one by one) and writes exactly what `drawdown_record` and
`outcome_payment_receive` called once per entry write, in the same order: the same
transactions, legs, drawdowns, accounts (created in the order of first use) and chain
entries, so the same ids, canonical records, hashes and chain head
(tests/payments/test_history_batched.py loads one document both ways and compares).

The services' checks, with their messages, run first for every entry, in order, against
what the entries before it in the run change (drawn per commitment, received and advance
per payer): `drawdown_amount_check`, `drawdown_date_check`, `drawdown_room_check`,
`payment_check` (its payer part once per payer, its amount and date for every
payment), `payment_settles`. Then the programme is locked once (open for
drawdowns, the chain, the commitments drawn on), and each table is written in one
statement (payments.ledger_many). Results are not batched: a verification goes through
the outcomes services (four eyes, cells, its own chain kind) and changes what is owed.
"""

import dataclasses
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from payments import ledger, services
from payments.cap_use import cap_counted, cap_received
from payments.ledger import LegSpec
from payments.ledger_many import Posting, transactions_post_many
from payments.models import Account, AccountKind, Commitment, Drawdown, TransactionKind
from payments.position import PayerPosition, programme_position
from payments.redemption_dues import redemption_dues_reconcile
from sib.chain import chain_lock
from sib.models import Organisation, Programme, User

# (JSON path, list name, date, item): one entry of the history, as load_history orders them.
Entry = tuple[str, str, date, dict[str, Any]]
MONEY_LISTS = ("drawdowns", "payments_received")


class _Accounts:
    """ledger.account_for, each account asked for once per run."""

    def __init__(self) -> None:
        self.found: dict[tuple[Any, ...], Account] = {}

    def __call__(
        self,
        *,
        programme: Programme,
        kind: str,
        organisation: Organisation | None = None,
        commitment: Commitment | None = None,
    ) -> Account:
        key = (
            kind,
            organisation.pk if organisation else None,
            commitment.pk if commitment else None,
        )
        if key not in self.found:
            self.found[key] = ledger.account_for(
                programme=programme, kind=kind, organisation=organisation, commitment=commitment
            )
        return self.found[key]


def _checked(path: str, check: Any, **kwargs: Any) -> Any:
    try:
        return check(**kwargs)
    except ValidationError as exc:
        raise ValidationError({path: exc.messages}) from exc


def history_money_post(
    *,
    programme: Programme,
    entries: Sequence[Entry],
    actor: User | None,
    commitments: dict[tuple[str, str], Commitment],
    payers: dict[str, Organisation],
) -> None:
    """Post a run of drawdowns and payments received, in order, as their services would."""
    drawdowns = [(path, on, item) for path, name, on, item in entries if name == "drawdowns"]
    for path, _on, item in drawdowns:
        commitment = commitments[(item["tranche"], item["investor"])]
        _checked(path, services.drawdown_amount_check, commitment=commitment, amount=item["amount"])
    with transaction.atomic():
        if drawdowns:
            # Refused at the first drawdown's path, as drawdown_record is.
            _checked(drawdowns[0][0], services.lock_programme_open, programme=programme)
        chain_lock(programme_id=programme.pk)
        locked = {
            c.pk: c
            for c in Commitment.objects.select_for_update()
            .filter(
                pk__in={commitments[(i["tranche"], i["investor"])].pk for _p, _o, i in drawdowns}
            )
            .select_related("tranche", "investor", "programme")
            .order_by("pk")
        }
        drawn = {pk: ledger.drawn_amount(commitment_id=pk) for pk in locked}
        position = (
            programme_position(programme=programme) if len(drawdowns) < len(entries) else None
        )
        owed: dict[str, PayerPosition] = {}
        received = cap_received(position.payers) if position else 0
        checked_payers: set[str] = set()
        account = _Accounts()
        postings: list[Posting] = []
        records: list[tuple[Commitment | None, date, int]] = []
        for path, name, on, item in entries:
            amount = item["amount"]
            if name == "drawdowns":
                commitment = locked[commitments[(item["tranche"], item["investor"])].pk]
                _checked(path, services.drawdown_date_check, commitment=commitment, called_on=on)
                _checked(
                    path,
                    services.drawdown_room_check,
                    commitment=commitment,
                    drawn=drawn[commitment.pk],
                    amount=amount,
                )
                drawn[commitment.pk] += amount
                legs = [
                    LegSpec(
                        account(programme=programme, kind=AccountKind.PROGRAMME_CASH),
                        debit=amount,
                    ),
                    LegSpec(
                        account(
                            programme=programme,
                            kind=AccountKind.INVESTOR_PRINCIPAL,
                            commitment=commitment,
                        ),
                        credit=amount,
                    ),
                ]
                postings.append(
                    Posting(
                        TransactionKind.DRAWDOWN,
                        on,
                        legs,
                        actor,
                        services.drawdown_description(commitment),
                    )
                )
                records.append((commitment, on, amount))
                continue
            assert position is not None
            payer = payers[item["payer"]]
            if payer.slug not in checked_payers:
                _checked(
                    path,
                    services.payment_check,
                    programme=programme,
                    payer=payer,
                    amount=amount,
                    received_on=on,
                )
                checked_payers.add(payer.slug)
            else:
                # The payer was checked at its first payment of the run; the amount and
                # the date are this entry's own.
                _checked(path, services.payment_amount_check, amount=amount)
                _checked(
                    path,
                    ledger.date_check,
                    programme=programme,
                    kind=TransactionKind.PAYMENT_RECEIVED,
                    on=on,
                    field="received_on",
                )
            figures = owed.get(payer.slug) or position.payer(payer.slug)
            settles = _checked(
                path,
                services.payment_settles,
                programme=programme,
                owed=figures,
                amount=amount,
                received=received,
                advance=item.get("advance", False),
            )
            received += cap_counted(figures, settles)
            owed[payer.slug] = dataclasses.replace(
                figures,
                received=figures.received + amount,
                advance=figures.advance + amount - settles,
            )
            legs = services.payment_legs(
                programme=programme, payer=payer, amount=amount, settles=settles, account=account
            )
            postings.append(
                Posting(
                    TransactionKind.PAYMENT_RECEIVED,
                    on,
                    legs,
                    actor,
                    services.payment_description(payer),
                )
            )
            records.append((None, on, amount))
        txs = transactions_post_many(programme=programme, postings=postings)
        Drawdown.objects.bulk_create(
            [
                Drawdown(
                    programme=programme,
                    commitment=commitment,
                    called_on=on,
                    amount=amount,
                    transaction=tx,
                    created_by=actor,
                )
                for tx, (commitment, on, amount) in zip(txs, records, strict=True)
                if commitment is not None
            ]
        )
        # The history's money may move a redemption booked already (payments.redemption_dues).
        redemption_dues_reconcile(programme=programme, actor=actor)
