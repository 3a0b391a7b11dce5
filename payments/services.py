"""Writes for the money side of a programme: tranches, commitments, drawdowns, ledger entries."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from payments import ledger
from payments.advance_limits import payer_most_owed
from payments.cap_use import cap_counted, cap_received
from payments.ledger import AlreadyReversed, LedgerError, LegSpec
from payments.models import (
    Account,
    AccountKind,
    CapType,
    Commitment,
    Drawdown,
    LedgerTransaction,
    Tranche,
    TrancheKind,
    TransactionKind,
)
from payments.position import PayerPosition, programme_position
from payments.redemption_dues import redemption_dues_reconcile
from payments.reversals import ledger_transaction_reverse
from payments.tranche_terms import coupon_errors, redemption_errors
from sib.chain import chain_lock
from sib.dates import format_date
from sib.models import (
    Organisation,
    OrganisationKind,
    PartyRole,
    Programme,
    ProgrammeParty,
    ProgrammeStatus,
    User,
)
from sib.money import format_money
from sib.services import payer_share_places, programme_status_text
from sib.user_text import user_text

__all__ = ["AlreadyReversed", "LedgerError", "ledger_transaction_reverse"]

SETUP_STATUSES = frozenset({ProgrammeStatus.DRAFT, ProgrammeStatus.ACTIVE})
# A guarantee's cover percentage: the decimal places its column keeps, as a payer's share.
COVER_PLACES = 4


def amount_text(minor: int, currency: str) -> str:
    """Return an amount for a message, in the active language: "5 000,00 €", "€5,000.00"."""
    language = get_language() or "en"  # none active: the English texts
    return format_money(minor, currency, "fr" if language.startswith("fr") else "en")


def _require_setup_open(programme: Programme) -> None:
    if programme.status not in SETUP_STATUSES:
        raise ValidationError(
            {
                "programme": _("The programme is %(status)s: its capital is fixed.")
                % {"status": programme_status_text(programme.status)}
            }
        )


def tranche_create(
    *,
    programme: Programme,
    key: str,
    name: str,
    kind: str,
    priority: int,
    cap_type: str = CapType.NONE,
    cap_value: Decimal | None = None,
    protects: Tranche | None = None,
    cover_limit: int | None = None,
    cover_percent: Decimal | None = None,
    coupon: dict[str, Any] | None = None,
    redemption: dict[str, Any] | None = None,
) -> Tranche:
    """Add a tranche to a draft or active programme.

    A guarantee covers `cover_percent` (50 = 50 %) of the protected tranche's principal
    loss, at most `cover_limit` (minor units): at least one of the two, both for "50 % of
    the loss, at most 400 000 €".
    """
    _require_setup_open(programme)
    errors: dict[str, str] = {}
    if Tranche.objects.filter(programme=programme, key=key).exists():
        errors["key"] = _("A tranche '%(key)s' exists in this programme.") % {"key": key}
    if Tranche.objects.filter(programme=programme, priority=priority).exists():
        errors["priority"] = _("Another tranche has priority %(priority)s.") % {
            "priority": priority
        }
    if (cap_type == CapType.NONE) != (cap_value is None):
        errors["cap_value"] = _("Give a cap value exactly when the cap type is not 'none'.")
    elif cap_value is not None and cap_value < 0:
        errors["cap_value"] = _("A cap is not negative.")
    elif cap_type == CapType.MULTIPLE and cap_value is not None and cap_value < 1:
        errors["cap_value"] = _("A multiple cap is at least 1.")
    if kind == TrancheKind.GUARANTEE:
        if protects is None or protects.programme_id != programme.pk:
            errors["protects"] = _("A guarantee protects a tranche of the same programme.")
        elif protects.kind == TrancheKind.GUARANTEE:
            errors["protects"] = _("A guarantee cannot protect another guarantee.")
        if cover_limit is None and cover_percent is None:
            errors["cover_limit"] = _("A guarantee has a cover limit, a cover percentage, or both.")
        elif cover_limit is not None and cover_limit <= 0:
            errors["cover_limit"] = _("A guarantee covers a positive amount (minor units).")
        if cover_percent is not None and (
            not cover_percent.is_finite() or not Decimal(0) < cover_percent <= 100
        ):
            errors["cover_percent"] = _("A cover percentage is above 0 and at most 100.")
        elif cover_percent is not None and payer_share_places(cover_percent) > COVER_PLACES:
            # The column would round it: the deal's 33.33333 % would become 33.3333 %.
            errors["cover_percent"] = _(
                "A cover percentage has at most %(places)s decimal places, the precision "
                "the ledger keeps."
            ) % {"places": COVER_PLACES}
    elif protects is not None or cover_limit is not None or cover_percent is not None:
        errors["protects"] = _("Only a guarantee protects a tranche and has a cover.")
    errors.update(coupon_errors(coupon, programme=programme, kind=kind, cap_type=cap_type))
    errors.update(redemption_errors(redemption, programme=programme, kind=kind))
    if errors:
        raise ValidationError(errors)
    return Tranche.objects.create(
        programme=programme,
        key=key,
        name=name,
        kind=kind,
        priority=priority,
        cap_type=cap_type,
        cap_value=cap_value,
        protects=protects,
        cover_limit=cover_limit,
        cover_percent=cover_percent,
        coupon=coupon,
        redemption=redemption,
    )


def commitment_create(
    *, tranche: Tranche, investor: Organisation, amount: int, committed_on: date
) -> Commitment:
    """Record an investor's commitment to a tranche (for a guarantee: its cover)."""
    programme = tranche.programme
    _require_setup_open(programme)
    if OrganisationKind.INVESTOR not in investor.kinds:
        raise ValidationError(
            {
                "investor": _("%(investor)s is not an investor organisation.")
                % {"investor": investor}
            }
        )
    if amount <= 0:
        raise ValidationError({"amount": _("A commitment is a positive amount (minor units).")})
    with transaction.atomic():
        if tranche.kind == TrancheKind.GUARANTEE and tranche.cover_limit is not None:
            # Lock the tranche: two guarantors committing at once must not exceed the cover.
            locked = Tranche.objects.select_for_update().get(pk=tranche.pk)
            covered = locked.commitments.aggregate(total=Sum("amount", default=0))["total"]
            if covered + amount > tranche.cover_limit:
                raise ValidationError(
                    {
                        "amount": _("Guarantee cover is %(cover)s; %(committed)s is committed.")
                        % {
                            "cover": amount_text(tranche.cover_limit, programme.currency),
                            "committed": amount_text(covered, programme.currency),
                        }
                    }
                )
        if Commitment.objects.filter(tranche=tranche, investor=investor).exists():
            raise ValidationError(
                {
                    "investor": _("%(investor)s has a commitment in this tranche.")
                    % {"investor": investor}
                }
            )
        ProgrammeParty.objects.get_or_create(
            programme=programme, organisation=investor, role=PartyRole.INVESTOR
        )
        return Commitment.objects.create(
            programme=programme,
            tranche=tranche,
            investor=investor,
            amount=amount,
            committed_on=committed_on,
        )


def lock_programme_open(*, programme: Programme) -> None:
    """Hold the programme row FOR SHARE; refuse a programme no longer open to drawdowns."""
    # FOR SHARE: a termination or closure committing meanwhile waits for this drawdown,
    # or this drawdown sees the new status; never a drawdown on a terminated programme.
    with connection.cursor() as cursor:
        cursor.execute("SELECT status FROM sib_programme WHERE id = %s FOR SHARE", [programme.pk])
        (status,) = cursor.fetchone()
    if status not in SETUP_STATUSES:
        raise ValidationError(
            {
                "programme": _("The programme is %(status)s: no new drawdowns.")
                % {"status": programme_status_text(status)}
            }
        )


def drawdown_amount_check(*, commitment: Commitment, amount: int) -> None:
    """Refuse an amount that is not a positive int, or a drawdown on a guarantee."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"amount": _("A drawdown is a positive int of minor units.")})
    if commitment.tranche.kind == TrancheKind.GUARANTEE:
        raise ValidationError({"commitment": _("A guarantee is called, not drawn down.")})


def drawdown_date_check(*, commitment: Commitment, called_on: date) -> None:
    """Refuse a drawdown dated outside the contract or before its commitment was made."""
    ledger.date_check(
        programme=commitment.programme,
        kind=TransactionKind.DRAWDOWN,
        on=called_on,
        field="called_on",
    )
    if called_on < commitment.committed_on:
        raise ValidationError(
            {
                "called_on": _("%(date)s is before the commitment was made (%(committed)s).")
                % {
                    "date": format_date(called_on),
                    "committed": format_date(commitment.committed_on),
                }
            }
        )


def drawdown_room_check(*, commitment: Commitment, drawn: int, amount: int) -> None:
    """Refuse a drawdown above what is left of the commitment once `drawn` is drawn."""
    if drawn + amount > commitment.amount:
        currency = commitment.programme.currency
        raise ValidationError(
            {
                "amount": _(
                    "Only %(left)s of the commitment %(committed)s is left to draw; "
                    "%(asked)s was asked."
                )
                % {
                    "left": amount_text(commitment.amount - drawn, currency),
                    "committed": amount_text(commitment.amount, currency),
                    "asked": amount_text(amount, currency),
                }
            }
        )


def drawdown_description(commitment: Commitment) -> str:
    return f"Drawdown: {commitment.investor.name}, {commitment.tranche.name}"


def drawdown_record(
    *,
    commitment: Commitment,
    called_on: date,
    amount: int,
    actor: User | None,
    idempotency_key: str = "",
) -> Drawdown:
    """Call capital on a commitment and post it: Dr programme cash, Cr investor principal."""
    drawdown_amount_check(commitment=commitment, amount=amount)
    programme = commitment.programme
    with transaction.atomic():
        lock_programme_open(programme=programme)
        drawdown_date_check(commitment=commitment, called_on=called_on)
        # Row lock on the commitment: two drawdowns read "drawn so far" at the same time,
        # each fits alone, together they overdraw. Holding the lock until commit makes the
        # second wait and count the first.
        locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
        drawdown_room_check(
            commitment=locked, drawn=ledger.drawn_amount(commitment_id=locked.pk), amount=amount
        )
        cash = ledger.account_for(programme=programme, kind=AccountKind.PROGRAMME_CASH)
        principal = ledger.account_for(
            programme=programme, kind=AccountKind.INVESTOR_PRINCIPAL, commitment=locked
        )
        tx = ledger.transaction_post(
            programme=programme,
            kind=TransactionKind.DRAWDOWN,
            occurred_on=called_on,
            legs=[LegSpec(cash, debit=amount), LegSpec(principal, credit=amount)],
            actor=actor,
            idempotency_key=idempotency_key,
            description=drawdown_description(locked),
        )
        drawdown = Drawdown.objects.create(
            programme=programme,
            commitment=locked,
            called_on=called_on,
            amount=amount,
            transaction=tx,
            created_by=actor,
        )
        # The principal drawn by a redemption's date is what it is a percent of.
        redemption_dues_reconcile(programme=programme, actor=actor)
        return drawdown


def payment_received_record(
    *,
    programme: Programme,
    payer: Organisation,
    amount: int,
    received_on: date,
    actor: User | None,
    idempotency_key: str = "",
    description: str = "",
    advance: bool = False,
) -> LedgerTransaction:
    """Record an outcome payment received from a payer: it settles what the payer owes.

    Dr programme cash, Cr the payer's receivable (its oldest dues first: one running
    balance per payer). A payment above what the payer owes now (its dues less what it
    paid and what is in dispute), or one that would take the payments received past the
    contract cap, is refused unless `advance` says it is one: then the part above what
    is owed is credited to the payer's advance, a separate, visible balance that later
    dues use up (payments.accrual.advances_apply).
    """
    description = user_text(description, field="description")
    payment_check(programme=programme, payer=payer, amount=amount, received_on=received_on)
    with transaction.atomic():
        # The chain lock: a verification committing meanwhile changes what is owed.
        chain_lock(programme_id=programme.pk)
        position = programme_position(programme=programme)
        owed = position.payer(payer.slug)
        settles = payment_settles(
            programme=programme,
            owed=owed,
            amount=amount,
            received=cap_received(position.payers),
            advance=advance,
        )
        tx = ledger.transaction_post(
            programme=programme,
            kind=TransactionKind.PAYMENT_RECEIVED,
            occurred_on=received_on,
            legs=payment_legs(programme=programme, payer=payer, amount=amount, settles=settles),
            actor=actor,
            idempotency_key=idempotency_key,
            description=description or payment_description(payer),
        )
        # A payment on or before a redemption's date lowers what the redemption owes.
        redemption_dues_reconcile(programme=programme, actor=actor)
        return tx


def payment_amount_check(*, amount: int) -> None:
    """Refuse a payment that is not a positive int of minor units."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"amount": _("A payment is a positive int of minor units.")})


def payment_check(
    *, programme: Programme, payer: Organisation, amount: int, received_on: date
) -> None:
    """Refuse a payment that is not a positive int, from no payer of the programme, or
    dated outside the contract."""
    payment_amount_check(amount=amount)
    if not ProgrammeParty.objects.filter(
        programme=programme, organisation=payer, role=PartyRole.OUTCOME_PAYER
    ).exists():
        raise ValidationError(
            {"payer": _("%(payer)s is not an outcome payer of this programme.") % {"payer": payer}}
        )
    ledger.date_check(
        programme=programme,
        kind=TransactionKind.PAYMENT_RECEIVED,
        on=received_on,
        field="received_on",
    )


def payment_settles(
    *, programme: Programme, owed: PayerPosition, amount: int, received: int, advance: bool
) -> int:
    """Return what of `amount` settles the payer's dues (the rest is its advance); refuse
    more than it owes, or past the contract cap, unless it is an advance; refuse an
    advance past the most the payer could ever owe (payments.advance_limits)."""
    if not advance:
        _refuse_unless_advance(programme, owed, amount, received)
    else:
        _refuse_past_most_owed(programme, owed, amount)
    return min(amount, owed.payable)


def payment_legs(
    *,
    programme: Programme,
    payer: Organisation,
    amount: int,
    settles: int,
    account: Callable[..., Account] = ledger.account_for,
) -> list[LegSpec]:
    """Dr cash; Cr the payer's receivable what settles, its advance the rest. Accounts
    are asked for in this order (created on first use: their ids follow it)."""
    cash = account(programme=programme, kind=AccountKind.PROGRAMME_CASH)
    legs = [LegSpec(cash, debit=amount)]
    if settles:
        receivable = account(
            programme=programme, kind=AccountKind.PAYER_RECEIVABLE, organisation=payer
        )
        legs.append(LegSpec(receivable, credit=settles))
    if amount > settles:
        ahead = account(programme=programme, kind=AccountKind.PAYER_ADVANCE, organisation=payer)
        legs.append(LegSpec(ahead, credit=amount - settles))
    return legs


def payment_description(payer: Organisation) -> str:
    return f"Outcome payment received from {payer.name}"


def _refuse_past_most_owed(programme: Programme, owed: PayerPosition, amount: int) -> None:
    most = payer_most_owed(programme=programme, payer=owed.payer)
    if most is None or owed.received + amount <= most.limit:
        return
    currency = programme.currency
    if most.payer_cap is not None:
        rule = _("its own cap %(cap)s") % {"cap": amount_text(most.payer_cap, currency)}
    else:
        rule = _("the contract cap %(cap)s × its share %(share)s%%") % {
            "cap": amount_text(most.contract_cap or 0, currency),
            "share": f"{most.share:f}".rstrip("0").rstrip(".") if most.share else "0",
        }
    if most.redemption:
        rule = _("%(rule)s, plus up to %(redemption)s of principal redemptions it tops up") % {
            "rule": rule,
            "redemption": amount_text(most.redemption, currency),
        }
    raise ValidationError(
        {
            "amount": _(
                "%(payer)s can owe at most %(limit)s over the contract (%(rule)s) and has "
                "paid %(received)s; an advance of %(amount)s would pass it. An advance is "
                "never more than the payer could ever owe."
            )
            % {
                "payer": owed.name,
                "limit": amount_text(most.limit, currency),
                "rule": rule,
                "received": amount_text(owed.received, currency),
                "amount": amount_text(amount, currency),
            }
        }
    )


def _refuse_unless_advance(
    programme: Programme, owed: PayerPosition, amount: int, received: int
) -> None:
    currency = programme.currency
    if amount > owed.payable:
        raise ValidationError(
            {
                "amount": _(
                    "%(payer)s owes %(owed)s now (%(disputed)s more is in dispute); "
                    "%(amount)s is more. If it is paid ahead, record it as an advance."
                )
                % {
                    "payer": owed.name,
                    "owed": amount_text(owed.payable, currency),
                    "disputed": amount_text(owed.disputed, currency),
                    "amount": amount_text(amount, currency),
                }
            }
        )
    cap = programme.contract_cap
    # `received`: the outcome payments received (payments.cap_use); of this payment, only
    # what settles the payer's outcome dues counts, not what settles a redemption.
    if cap is not None and received + cap_counted(owed, amount) > cap:
        raise ValidationError(
            {
                "amount": _(
                    "The contract cap is %(cap)s and %(received)s is received; %(amount)s "
                    "would pass it. If it is paid ahead, record it as an advance."
                )
                % {
                    "cap": amount_text(cap, currency),
                    "received": amount_text(received, currency),
                    "amount": amount_text(amount, currency),
                }
            }
        )
