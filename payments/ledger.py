"""The programme ledger: double-entry, insert-only, hash-chained.

Design overview
===============

Accounts
--------
Each programme has its own accounts (`payments.models.Account`), created on first use and
never changed: programme cash; one receivable per outcome payer; one funding account per
service provider; per investor commitment, its principal, its return (and, for a
guarantor, its guarantee); outcome payments earned. An account's `code` names it stably
("cash", "receivable:<payer>", "principal:<tranche>:<investor>"...).

Transactions and legs
---------------------
A `LedgerTransaction` is one dated money movement (a drawdown, an outcome payment
received, a reversal...). It is made of at least two `Leg`s, each on one account, in one
currency, with SEPARATE POSITIVE `debit` and `credit` columns: exactly one of the two is
above zero. There are no signed amounts in the ledger: a signed "amount" column leaves
every reader to guess which sign means what (django-hordak issues #44/#53/#59).

Sign convention: debits increase debit-normal accounts (cash, receivables, provider
funding) and credits increase credit-normal ones (what the programme owes investors and
guarantors, outcome payments earned). A drawdown of 1 000 € is

    Dr cash                       100000
        Cr principal:senior:bank          100000

and an outcome payment received from a payer is Dr cash / Cr receivable:<payer>. The
balance of an account is debit - credit for debit-normal accounts, credit - debit for the
others (`account_balances`).

Amounts
-------
Integer minor units (cents for EUR) in BigInteger columns, never float nor Decimal: see
sib.money. A leg carries its currency; a programme has one currency, but the balance rule
is per currency so that the rule stays true if that ever changes.

The balance rule lives in PostgreSQL
------------------------------------
A DEFERRABLE INITIALLY DEFERRED constraint trigger (migration 0002) checks at commit that
every transaction has at least two legs and balances per currency (Σdebit = Σcredit), with
each leg on an account of its own programme and in that account's currency. Python checks
the same first, for a clear error; the database is what makes it impossible to skip. The
check runs once per transaction and per leg, and reads only that transaction's legs, by
their index, whatever the statistics say (migration 0016): a bulk load commits in time
linear in its rows.

Insert-only, and how to correct
-------------------------------
Accounts, transactions, legs and drawdowns are `InsertOnlyModel`s: a trigger refuses
UPDATE and DELETE, the application role has no UPDATE, DELETE or TRUNCATE privilege on
them, and the ORM refuses save() on an existing row. Money that was recorded stays
recorded; an error is corrected by a reversing transaction: the same legs with debit and
credit swapped, linked to the original (`reverses`, unique: a transaction is reversed at
most once), with a reason and the actor. A reversal is not itself reversed: record the
movement again instead.

The hash chain
--------------
Every transaction is appended to its programme's hash chain (sib.chain) in the same
database transaction, as kind "ledger_transaction" with its canonical JSON:

    {"actor":7,"description":"...","id":42,"kind":"drawdown",
     "legs":[[account_id,"EUR",debit,credit],...],   (legs in id order)
     "occurred_on":"2026-01-15","programme":1,"reason":"","reverses":null}

`ledger_canonical_keyed_sql` rebuilds exactly the same text inside PostgreSQL, so verifying
a million transactions is one streamed query plus hashing (`sib.chain_verification`). Change
one byte of a stored transaction, leg or chain entry and verification names that entry.
"""

from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from payments.models import (
    Account,
    AccountKind,
    Commitment,
    Drawdown,
    LedgerTransaction,
    Leg,
    TransactionKind,
)
from sib import clock
from sib.chain import ChainKind, canonical_json, chain_append, chain_kind_register
from sib.dates import format_date
from sib.db.refusals import UNIQUE_VIOLATION, database_rule
from sib.models import Organisation, Programme, User

CHAIN_KIND = "ledger_transaction"


class LedgerError(Exception):
    """A posting the ledger refuses (unbalanced, wrong currency, already reversed...)."""


class AlreadyReversed(LedgerError):
    """The transaction has been reversed already; a transaction is reversed once."""


@dataclass(frozen=True)
class LegSpec:
    """One leg to post: exactly one of debit and credit is positive."""

    account: Account
    debit: int = 0
    credit: int = 0


# --- accounts ---------------------------------------------------------------------------


# Account code prefixes: one account per programme, per organisation, or per commitment.
_PROGRAMME_CODES = {
    AccountKind.PROGRAMME_CASH: "cash",
    AccountKind.OUTCOME_INCOME: "outcome_income",
}
_ORGANISATION_PREFIXES = {
    AccountKind.PAYER_RECEIVABLE: "receivable",
    AccountKind.PAYER_DISPUTED: "disputed",
    AccountKind.PAYER_ADVANCE: "advance",
    AccountKind.PROVIDER_FUNDING: "provider",
}
_COMMITMENT_PREFIXES = {
    AccountKind.INVESTOR_PRINCIPAL: "principal",
    AccountKind.INVESTOR_RETURN: "return",
    AccountKind.GUARANTEE: "guarantee",
    AccountKind.GUARANTEE_CALLED: "guarantee_called",
    AccountKind.REDEMPTION_INCOME: "redemption",
}


def account_code(
    *, kind: str, organisation: Organisation | None = None, commitment: Commitment | None = None
) -> str:
    if kind in _PROGRAMME_CODES:
        return _PROGRAMME_CODES[kind]  # type: ignore[index]
    if kind in _ORGANISATION_PREFIXES and organisation is not None:
        return f"{_ORGANISATION_PREFIXES[kind]}:{organisation.slug}"  # type: ignore[index]
    if kind in _COMMITMENT_PREFIXES and commitment is not None:
        prefix = _COMMITMENT_PREFIXES[kind]  # type: ignore[index]
        return f"{prefix}:{commitment.tranche.key}:{commitment.investor.slug}"
    raise LedgerError(f"account kind {kind} needs its organisation or commitment")


def account_for(
    *,
    programme: Programme,
    kind: str,
    organisation: Organisation | None = None,
    commitment: Commitment | None = None,
) -> Account:
    """Return the programme's account of this kind, creating it on first use."""
    if commitment is not None:
        organisation = commitment.investor
    code = account_code(kind=kind, organisation=organisation, commitment=commitment)
    try:
        return Account.objects.get(programme=programme, code=code)  # every posting but the first
    except Account.DoesNotExist:
        pass
    # ON CONFLICT DO NOTHING: two first postings racing to create the account both succeed
    # and both read the one row (a plain get_or_create could raise on the loser).
    Account.objects.bulk_create(
        [
            Account(
                programme=programme,
                code=code,
                kind=kind,
                organisation=organisation,
                commitment=commitment,
                currency=programme.currency,
            )
        ],
        ignore_conflicts=True,
    )
    return Account.objects.get(programme=programme, code=code)


# --- dates ------------------------------------------------------------------------------

# What may still be posted after the contract ended or was terminated: settling what was
# earned before (dues and their restatements, payments, distributions, guarantees,
# reversals). New capital may not be called.
_CAPITAL_KINDS = frozenset({TransactionKind.DRAWDOWN})


def date_check(*, programme: Programme, kind: str, on: date, field: str = "occurred_on") -> None:
    """Refuse a ledger date outside the contract: before its start, after today, or (for
    new capital) after its end or termination; the message is named by `field`, its dates
    written as the user's language writes them (a French page says "1 janvier 2026").

    The database refuses the same bounds except "after today" (payments_ledger_date_check,
    which bounds dates to ten years past the contract's end instead): PostgreSQL's clock
    cannot be moved, and the engine's tests post years ahead under a frozen `sib.clock`.
    """
    today = clock.today()
    message = None
    if on < programme.start_date:
        message = _("%(date)s is before the contract starts (%(start)s).") % {
            "date": format_date(on),
            "start": format_date(programme.start_date),
        }
    elif on > today:
        message = _("%(date)s is in the future: the ledger records what has happened.") % {
            "date": format_date(on)
        }
    elif kind in _CAPITAL_KINDS:
        last = programme.termination_date or programme.end_date
        if on > last:
            message = _("%(date)s is after the contract's end (%(end)s): no new capital.") % {
                "date": format_date(on),
                "end": format_date(last),
            }
    if message is not None:
        raise ValidationError({field: message})


# --- posting ----------------------------------------------------------------------------


def _check_legs(programme: Programme, legs: Sequence[LegSpec]) -> None:
    if len(legs) < 2:
        raise LedgerError("a transaction needs at least two legs")
    totals: dict[str, list[int]] = {}
    for leg in legs:
        for value in (leg.debit, leg.credit):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise LedgerError("debit and credit are non-negative ints of minor units")
        if (leg.debit > 0) == (leg.credit > 0):
            raise LedgerError("each leg has exactly one of debit and credit above zero")
        if leg.account.programme_id != programme.pk:
            raise LedgerError(f"account {leg.account.code} belongs to another programme")
        side = totals.setdefault(leg.account.currency, [0, 0])
        side[0] += leg.debit
        side[1] += leg.credit
    for currency, (debit, credit) in totals.items():
        if debit != credit:
            raise LedgerError(f"unbalanced in {currency}: debit {debit}, credit {credit}")


def transaction_post(
    *,
    programme: Programme,
    kind: str,
    occurred_on: date,
    legs: Sequence[LegSpec],
    actor: User | None = None,
    description: str = "",
    idempotency_key: str = "",
    reverses: LedgerTransaction | None = None,
    reason: str = "",
) -> LedgerTransaction:
    """Post one balanced transaction and append it to the programme's chain, atomically."""
    _check_legs(programme, legs)
    date_check(programme=programme, kind=kind, on=occurred_on)
    with transaction.atomic():
        try:
            # Only a reversal needs a savepoint of its own, to tell its refusal apart; any
            # other refusal undoes the whole posting with this block's savepoint.
            with transaction.atomic() if reverses is not None else nullcontext():
                tx = LedgerTransaction.objects.create(
                    programme=programme,
                    kind=kind,
                    occurred_on=occurred_on,
                    description=description,
                    reverses=reverses,
                    reason=reason,
                    actor=actor,
                    idempotency_key=idempotency_key,
                )
        except IntegrityError as exc:
            if reverses is not None and database_rule(exc) == (
                "payments_ledger_transaction_reverses_id_key",  # `reverses` is one-to-one
                UNIQUE_VIOLATION,
            ):
                raise AlreadyReversed(f"transaction {reverses.pk} is already reversed") from exc
            raise
        rows = Leg.objects.bulk_create(
            [
                Leg(
                    transaction=tx,
                    account=leg.account,
                    debit=leg.debit,
                    credit=leg.credit,
                    currency=leg.account.currency,
                )
                for leg in legs
            ]
        )
        _check_balance_now()
        chain_append(
            programme=programme,
            kind=CHAIN_KIND,
            object_id=tx.pk,
            canonical=transaction_canonical(tx, rows),
        )
    return tx


def _check_balance_now() -> None:
    # Fire the deferred balance triggers now, so an error surfaces at the posting (and in
    # tests that never commit), then defer again for the next posting in this transaction:
    # one round trip (the client-side binding cursor sends both as one query).
    with connection.cursor() as cursor:
        cursor.execute(
            "SET CONSTRAINTS payments_leg_balanced, payments_transaction_balanced IMMEDIATE;"
            " SET CONSTRAINTS payments_leg_balanced, payments_transaction_balanced DEFERRED"
        )


def transaction_reverse(
    *,
    original: LedgerTransaction,
    reason: str,
    actor: User | None,
    occurred_on: date | None = None,
    idempotency_key: str = "",
) -> LedgerTransaction:
    """Post the reversing transaction of `original`: its legs with debit and credit swapped."""
    if original.kind == TransactionKind.REVERSAL:
        raise LedgerError("a reversal is not reversed; record the movement again instead")
    if not reason.strip():
        raise LedgerError("a reversal needs a reason")
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise AlreadyReversed(f"transaction {original.pk} is already reversed")
    legs = [
        LegSpec(account=leg.account, debit=leg.credit, credit=leg.debit)
        for leg in original.legs.select_related("account").order_by("id")
    ]
    return transaction_post(
        programme=original.programme,
        kind=TransactionKind.REVERSAL,
        occurred_on=occurred_on or original.occurred_on,
        legs=legs,
        actor=actor,
        description=f"Reversal of #{original.pk}",
        idempotency_key=idempotency_key,
        reverses=original,
        reason=reason,
    )


# --- reading ----------------------------------------------------------------------------


def account_balances(*, programme_id: int) -> list[tuple[Account, int, int, int]]:
    """Return (account, total debit, total credit, balance in its normal direction)."""
    accounts = (
        Account.objects.filter(programme_id=programme_id)
        .annotate(
            total_debit=Sum("legs__debit", default=0), total_credit=Sum("legs__credit", default=0)
        )
        .order_by("code")
    )
    out: list[tuple[Account, int, int, int]] = []
    for account in accounts:
        debit, credit = account.total_debit, account.total_credit
        out.append(
            (account, debit, credit, debit - credit if account.debit_normal else credit - debit)
        )
    return out


def trial_balance(*, programme_id: int) -> dict[str, tuple[int, int]]:
    """Return Σdebit and Σcredit per currency over all the programme's legs."""
    rows = (
        Leg.objects.filter(transaction__programme_id=programme_id)
        .values("currency")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    )
    return {row["currency"]: (row["debit"], row["credit"]) for row in rows}


def drawn_amount(*, commitment_id: int) -> int:
    """Return the capital drawn on a commitment: its drawdowns not reversed."""
    total = Drawdown.objects.filter(
        Q(commitment_id=commitment_id) & Q(transaction__reversal__isnull=True)
    ).aggregate(total=Sum("amount", default=0))["total"]
    return int(total)


# --- canonical form and chain kind ------------------------------------------------------


def transaction_canonical(tx: LedgerTransaction, legs: Iterable[Leg]) -> str:
    """Return the canonical JSON of a transaction and its legs (legs in id order)."""
    return canonical_json(
        {
            "actor": tx.actor_id,
            "description": tx.description,
            "id": tx.pk,
            "kind": tx.kind,
            "legs": [
                [leg.account_id, leg.currency, leg.debit, leg.credit]
                for leg in sorted(legs, key=lambda leg: leg.pk)
            ],
            "occurred_on": tx.occurred_on.isoformat(),
            "programme": tx.programme_id,
            "reason": tx.reason,
            "reverses": tx.reverses_id,
        }
    )


def _load_canonical(object_ids: list[str]) -> Iterable[tuple[str, str]]:
    ids = [int(i) for i in object_ids if i.isdigit()]
    legs: dict[int, list[Leg]] = {}
    for leg in Leg.objects.filter(transaction_id__in=ids).order_by("id"):
        legs.setdefault(leg.transaction_id, []).append(leg)
    for tx in LedgerTransaction.objects.filter(pk__in=ids):
        yield str(tx.pk), transaction_canonical(tx, legs.get(tx.pk, []))


def ledger_canonical_keyed_sql(server_version: int = 0, *, keys: bool = False) -> str:
    """SQL selecting (object_key, canonical) for every transaction of %(programme_id)s.

    The same text as transaction_canonical, built by PostgreSQL, keyed by the transaction
    id: keys in sorted order, user text as JSON strings (PostgreSQL and Python's json escape
    the same characters and leave non-ASCII alone), kind and currency written as they are
    (choices and ISO codes need no escaping), dates in DateStyle ISO (YYYY-MM-DD for the
    years Python writes; chain_verify sets it), legs in id order. On PostgreSQL >= 16
    (server_version as in server_version_num), json_scalar: the escaping of to_json
    without looking up the argument's type on every row.

    One pass: legs in (transaction, id) order merged with the transactions in id order and
    aggregated as they come (PostgreSQL >= 16 sees them already sorted for the ORDER BY),
    so rows come out in id order. || rather than concat(): no output function and strlen
    per literal. A transaction without legs (changed by hand) has no row; verification
    then asks the loader. The programme is the one asked for: a transaction moved to
    another programme is not selected.

    With `keys`, only the transactions whose id is in %(object_keys)s (a bigint[]), read
    by index: the routine check's (sib.chain_routine).
    """
    to_json = "json_scalar" if server_version >= 160000 else "to_json"
    # No input in the text but a function name of ours.
    return f"""
SELECT t.id AS object_key,
       '{{"actor":' || coalesce(t.actor_id::text, 'null')
       || ',"description":' || {to_json}(t.description)::text
       || ',"id":' || t.id::text
       || ',"kind":"' || t.kind
       || '","legs":[' || string_agg('[' || l.account_id::text || ',"' || l.currency || '",'
                                     || l.debit::text || ',' || l.credit::text || ']',
                                     ',' ORDER BY l.id)
       || '],"occurred_on":"' || t.occurred_on::text
       || '","programme":' || %(programme_id)s::text
       || ',"reason":' || {to_json}(t.reason)::text
       || ',"reverses":' || coalesce(t.reverses_id::text, 'null')
       || '}}' AS canonical
  FROM payments_leg l
  JOIN payments_ledger_transaction t ON t.id = l.transaction_id
 WHERE t.programme_id = %(programme_id)s{" AND t.id = ANY(%(object_keys)s)" if keys else ""}
 GROUP BY t.id
"""  # noqa: S608


def ledger_canonical_keys_sql(server_version: int = 0) -> str:
    """ledger_canonical_keyed_sql for only the transactions in %(object_keys)s."""
    return ledger_canonical_keyed_sql(server_version, keys=True)


# For any PostgreSQL, with the object id as the chain stores it (text): (object_id, canonical).
LEDGER_CANONICAL_SQL = (
    "SELECT k.object_key::text AS object_id, k.canonical "  # noqa: S608
    f"FROM ({ledger_canonical_keyed_sql()}) k"
)


def register_chain_kind() -> None:
    chain_kind_register(
        ChainKind(
            name=CHAIN_KIND,
            load_canonical=_load_canonical,
            canonical_sql=ledger_canonical_keyed_sql,
            records_sql=(
                "SELECT id::text AS object_id FROM payments_ledger_transaction "
                "WHERE programme_id = %(programme_id)s"
            ),
            canonical_keys_sql=ledger_canonical_keys_sql,
            records_since_sql=(
                "SELECT id AS object_key FROM payments_ledger_transaction "
                "WHERE programme_id = %(programme_id)s AND id > %(after_key)s"
            ),
        )
    )
