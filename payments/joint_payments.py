"""Joint payments received: one payment from one party that settles several payers' dues.

In real deals one body sends one bank payment that settles what several payers owe: the
State pays for itself and for a département under an agreement, an outcomes fund pays
for the commissioners it backs. `joint_payment_record` books it as ONE balanced
`payment_received` transaction, chained like every other:

    Dr cash                         total
        Cr receivable:<payer 1>             part 1
        Cr receivable:<payer 2>             part 2

and one `JointPayment` row naming who paid (`paid_by`, also in the chained description).
Each part is a payment received from that payer as far as its position is concerned: it
settles the payer's dues, oldest first, and the position shows who paid it
(`PayerPosition.settled_by`, `paid_for`).

The parts are given (`JointPart.amount`), or, when none is, allocated from the total in
proportion to what each payer owes now (`PayerPosition.payable`) with sib.money.allocate.
Each part is refused above what its payer owes, and the whole past the contract cap (the
rules of `payment_received_record`); a joint payment is never an advance. All or nothing:
one part refused, nothing is written.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from payments import ledger
from payments.cap_use import cap_counted, cap_received
from payments.ledger import LegSpec
from payments.models import AccountKind, JointPayment, LedgerTransaction, TransactionKind
from payments.position import PayerPosition, programme_position
from payments.redemption_dues import redemption_dues_reconcile
from payments.services import amount_text, payment_amount_check
from sib.chain import chain_lock
from sib.models import Organisation, PartyRole, Programme, ProgrammeParty, User
from sib.money import allocate
from sib.user_text import user_text

FIELD = "settles"


@dataclass(frozen=True)
class JointPart:
    """One payer whose dues a joint payment settles, and how much (None: allocated)."""

    payer: Organisation
    amount: int | None = None


def _payer_slugs(programme: Programme) -> set[str]:
    return set(
        ProgrammeParty.objects.filter(
            programme=programme, role=PartyRole.OUTCOME_PAYER
        ).values_list("organisation__slug", flat=True)
    )


def _not_a_payer(organisation: Organisation) -> str:
    return _("%(payer)s is not an outcome payer of this programme.") % {"payer": organisation}


def _party_errors(
    programme: Programme, paid_by: Organisation, parts: Sequence[JointPart]
) -> dict[str, str]:
    """Refuse a paying party or a payer settled that is not an outcome payer, a payer twice."""
    payers = _payer_slugs(programme)
    errors: dict[str, str] = {}
    if paid_by.slug not in payers:
        errors["paid_by"] = _not_a_payer(paid_by)
    if not parts:
        errors[FIELD] = _("A joint payment settles the dues of at least one payer.")
    seen: set[str] = set()
    for i, part in enumerate(parts):
        if part.payer.slug not in payers:
            errors[f"{FIELD}[{i}].payer"] = _not_a_payer(part.payer)
        elif part.payer.slug in seen:
            errors[f"{FIELD}[{i}].payer"] = _(
                "%(payer)s is listed twice: give one part per payer."
            ) % {"payer": part.payer}
        seen.add(part.payer.slug)
    return errors


def joint_payment_check(
    *,
    programme: Programme,
    paid_by: Organisation,
    parts: Sequence[JointPart],
    amount: int | None,
    received_on: date,
) -> None:
    """Refuse a joint payment malformed before the ledger is read: a paying party or a
    payer not an outcome payer of the programme, a payer twice, amounts given for some
    parts only, a part or a total that is not a positive int, a total that is not the sum
    of the parts, a date outside the contract. Errors are named by field
    (`settles[1].amount`)."""
    errors = _party_errors(programme, paid_by, parts)
    given = [part.amount is not None for part in parts]
    if any(given) and not all(given):
        errors[FIELD] = _(
            "Give an amount for every payer settled, or for none (the total is then "
            "allocated in proportion to what each owes now)."
        )
    elif parts and all(given):
        for i, part in enumerate(parts):
            try:
                payment_amount_check(amount=part.amount)  # type: ignore[arg-type]
            except ValidationError:
                errors[f"{FIELD}[{i}].amount"] = _("A part is a positive int of minor units.")
        total = sum(p.amount for p in parts if isinstance(p.amount, int))
        if amount is not None and amount != total and not any(k.endswith("amount") for k in errors):
            errors["amount"] = _("The total %(amount)s is not the sum of the parts, %(sum)s.") % {
                "amount": amount_text(amount, programme.currency),
                "sum": amount_text(total, programme.currency),
            }
    elif parts and amount is None:
        errors["amount"] = _("Give the total paid when the parts are allocated.")
    if amount is not None and "amount" not in errors:
        try:
            payment_amount_check(amount=amount)
        except ValidationError as exc:
            errors["amount"] = exc.messages[0]
    try:
        ledger.date_check(
            programme=programme,
            kind=TransactionKind.PAYMENT_RECEIVED,
            on=received_on,
            field="received_on",
        )
    except ValidationError as exc:
        errors["received_on"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)


def joint_payment_record(
    *,
    programme: Programme,
    paid_by: Organisation,
    parts: Sequence[JointPart],
    received_on: date,
    actor: User | None,
    amount: int | None = None,
    idempotency_key: str = "",
    description: str = "",
) -> LedgerTransaction:
    """Record one payment from `paid_by` that settles the dues of each payer in `parts`.

    One transaction: Dr cash the total, Cr each payer's receivable its part (in the
    order given). Parts given, or allocated from `amount` in proportion to what each
    payer owes now (a payer owing nothing gets nothing and no leg). Refused, with nothing
    written, if any part is above what its payer owes now or the total passes the
    contract cap.
    """
    description = user_text(description, field="description")
    joint_payment_check(
        programme=programme, paid_by=paid_by, parts=parts, amount=amount, received_on=received_on
    )
    with transaction.atomic():
        # The chain lock: a verification committing meanwhile changes what is owed.
        chain_lock(programme_id=programme.pk)
        position = programme_position(programme=programme)
        owed = [position.payer(part.payer.slug) for part in parts]
        if all(part.amount is not None for part in parts):
            amounts = [int(part.amount or 0) for part in parts]
        else:
            assert amount is not None  # joint_payment_check
            amounts = _allocated(programme, amount, [o.payable for o in owed])
        received = cap_received(position.payers)
        legs = [
            LegSpec(
                ledger.account_for(programme=programme, kind=AccountKind.PROGRAMME_CASH),
                debit=sum(amounts),
            )
        ]
        for i, (part, figures, share) in enumerate(zip(parts, owed, amounts, strict=True)):
            if not share:
                continue
            _part_check(programme, figures, share, received, f"{FIELD}[{i}].amount")
            received += cap_counted(figures, share)
            receivable = ledger.account_for(
                programme=programme, kind=AccountKind.PAYER_RECEIVABLE, organisation=part.payer
            )
            legs.append(LegSpec(receivable, credit=share))
        tx = ledger.transaction_post(
            programme=programme,
            kind=TransactionKind.PAYMENT_RECEIVED,
            occurred_on=received_on,
            legs=legs,
            actor=actor,
            idempotency_key=idempotency_key,
            description=description or joint_payment_description(paid_by, parts, amounts),
        )
        JointPayment.objects.create(programme=programme, transaction=tx, paid_by=paid_by)
        # As a payment of one payer: it may lower a redemption (payments.redemption_dues).
        redemption_dues_reconcile(programme=programme, actor=actor)
        return tx


def _part_check(
    programme: Programme, owed: PayerPosition, share: int, received: int, field: str
) -> None:
    """Refuse a part above what its payer owes now, or one that takes the payments
    received past the contract cap (payment_received_record's rules; a joint payment is
    never an advance: a payer's advance is recorded as its own payment)."""
    currency = programme.currency
    if share > owed.payable:
        raise ValidationError(
            {
                field: _(
                    "%(payer)s owes %(owed)s now (%(disputed)s more is in dispute); its "
                    "part, %(amount)s, is more."
                )
                % {
                    "payer": owed.name,
                    "owed": amount_text(owed.payable, currency),
                    "disputed": amount_text(owed.disputed, currency),
                    "amount": amount_text(share, currency),
                }
            }
        )
    cap = programme.contract_cap
    # As payment_received_record: the outcome payments received (payments.cap_use).
    if cap is not None and received + cap_counted(owed, share) > cap:
        raise ValidationError(
            {
                field: _(
                    "The contract cap is %(cap)s and %(received)s is received; this part, "
                    "%(amount)s, would pass it."
                )
                % {
                    "cap": amount_text(cap, currency),
                    "received": amount_text(received, currency),
                    "amount": amount_text(share, currency),
                }
            }
        )


def _allocated(programme: Programme, amount: int, payable: list[int]) -> list[int]:
    """Split `amount` in proportion to what each payer owes now; refuse more than all owe."""
    owed = sum(payable)
    if amount > owed:
        raise ValidationError(
            {
                "amount": _(
                    "These payers owe %(owed)s now together; %(amount)s is more. Give each "
                    "payer's part, or record the rest as a payment from its payer."
                )
                % {
                    "owed": amount_text(owed, programme.currency),
                    "amount": amount_text(amount, programme.currency),
                }
            }
        )
    return allocate(amount, payable)


def joint_payment_description(
    paid_by: Organisation, parts: Sequence[JointPart], amounts: Sequence[int]
) -> str:
    names = ", ".join(p.payer.name for p, share in zip(parts, amounts, strict=True) if share)
    return f"Joint outcome payment received from {paid_by.name} for {names}"
