"""Actual distributions: what the fund manager paid out of a payment received.

The repayment schedule PROPOSES, for each payment date, the waterfall's distributions
(one line per step, tranche and recipient). The fund manager RECORDS what was actually
paid, which may differ from the proposal (a rounding agreed with an investor, a payment
held back): a difference then needs a reason, kept on the ledger transaction and chained
with it. `payments.position.distributions_compared` shows the difference until it is zero.

One distribution transaction per payment date (a second one only after the first is
reversed). Legs: Cr programme cash for the total; Dr each investor's principal, return or
guarantee account (what the programme owes them goes down), Dr the provider funding
account of a fee or success-fee recipient. Recycled money stays in programme cash, so it
is neither proposed nor posted.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from payments import ledger
from payments.ledger import LegSpec
from payments.models import (
    AccountKind,
    Commitment,
    LedgerTransaction,
    Leg,
    TrancheKind,
    TransactionKind,
)
from payments.position import programme_position
from payments.schedule_builder import schedule_document
from payments.services import amount_text
from sib.chain import chain_lock
from sib.dates import format_date
from sib.models import Organisation, PartyRole, Programme, ProgrammeParty, User
from sib.user_text import user_text

DISTRIBUTION = TransactionKind.DISTRIBUTION

# (step kind, tranche key or None, recipient slug): one line of a distribution.
Key = tuple[str, str | None, str]

# Steps paid to a commitment, and the account of that commitment they pay down.
TRANCHE_STEPS = {
    "principal": AccountKind.INVESTOR_PRINCIPAL,
    "return": AccountKind.INVESTOR_RETURN,
    "guarantee_reimbursement": AccountKind.GUARANTEE,
    # Booked as return paid to the investor (it is return, above the cap).
    "investor_success_fee": AccountKind.INVESTOR_RETURN,
}
# Steps paid to a named recipient (no tranche): to its provider funding account.
RECIPIENT_STEPS = ("fees", "provider_success_fee")


@dataclass(frozen=True)
class PaidOut:
    """One amount a fund manager says was paid: a waterfall step to one recipient."""

    step_kind: str
    recipient: str
    amount: int
    tranche: str | None = None

    @property
    def key(self) -> Key:
        return (self.step_kind, self.tranche or None, self.recipient)


def key_order(key: Key) -> tuple[str, str, str]:
    return (key[0], key[1] or "", key[2])


def proposals(document: dict[str, Any]) -> dict[date, dict[Key, int]]:
    """Return the schedule document's proposed distributions, per payment date and line."""
    proposed: dict[date, dict[Key, int]] = defaultdict(lambda: defaultdict(int))
    for row in document["schedule"]["distributions"]:
        if row["step_kind"] == "recycle":
            continue
        # The ledger books an investor success fee as the investor's return, so the
        # proposal shows it on the return line the recorded payout is compared with.
        step = "return" if row["step_kind"] == "investor_success_fee" else row["step_kind"]
        key = (step, row["tranche"], row["recipient"])
        proposed[date.fromisoformat(row["on"])][key] += row["amount"]
    # A principal redemption is paid to the tranche's investors as principal on its date
    # (payments.engine.redemption); the payment that settles it later stays out of the
    # waterfall, so its payout is proposed here, on that date, or it could never be
    # recorded without a difference left standing (issue 11).
    for row in document["schedule"].get("redemptions", []):
        for investor, amount in row["paid_to"]:
            proposed[date.fromisoformat(row["on"])][("principal", row["tranche"], investor)] += (
                amount
            )
    return {on: dict(lines) for on, lines in proposed.items()}


def distribution_proposal(*, programme: Programme, paid_on: date) -> dict[Key, int]:
    """Return what the current actual schedule proposes to distribute on `paid_on`."""
    return proposals(schedule_document(programme=programme)).get(paid_on, {})


def distribution_recorded(*, programme: Programme, paid_on: date) -> LedgerTransaction | None:
    """Return the distribution of `paid_on` that stands (recorded and not reversed)."""
    return LedgerTransaction.objects.filter(
        programme=programme, kind=DISTRIBUTION, occurred_on=paid_on, reversal__isnull=True
    ).first()


def differences(proposed: dict[Key, int], given: dict[Key, int]) -> dict[Key, int]:
    """Return recorded - proposed for every line where they differ."""
    return {
        key: given.get(key, 0) - proposed.get(key, 0)
        for key in sorted(set(proposed) | set(given), key=key_order)
        if given.get(key, 0) != proposed.get(key, 0)
    }


def _totals(lines: Iterable[PaidOut]) -> dict[Key, int]:
    given: dict[Key, int] = defaultdict(int)
    for line in lines:
        amount = line.amount
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValidationError({"lines": _("Each amount is a positive int of minor units.")})
        given[line.key] += amount
    if not given:
        raise ValidationError({"lines": _("Record at least one amount paid out.")})
    return dict(given)


def _account(programme: Programme, key: Key) -> Any:
    """Return the account a line pays down; refuse a recipient the programme does not know."""
    step, tranche, recipient = key
    if tranche is not None and step in TRANCHE_STEPS:
        commitment = (
            Commitment.objects.select_related("tranche", "investor")
            .filter(programme=programme, tranche__key=tranche, investor__slug=recipient)
            .first()
        )
        is_guarantee = commitment is not None and commitment.tranche.kind == TrancheKind.GUARANTEE
        if commitment is not None and is_guarantee == (step == "guarantee_reimbursement"):
            return ledger.account_for(
                programme=programme, kind=TRANCHE_STEPS[step], commitment=commitment
            )
    elif tranche is None and step in RECIPIENT_STEPS:
        party = (
            ProgrammeParty.objects.filter(programme=programme, organisation__slug=recipient)
            .exclude(role=PartyRole.OUTCOME_PAYER)
            .select_related("organisation")
            .first()
        )
        if party is not None:
            return ledger.account_for(
                programme=programme,
                kind=AccountKind.PROVIDER_FUNDING,
                organisation=party.organisation,
            )
    raise ValidationError(
        {
            "lines": _("%(step)s to %(recipient)s: no such recipient in this programme.")
            % {"step": step if tranche is None else f"{step} {tranche}", "recipient": recipient}
        }
    )


def _check_owed(programme: Programme, legs: list[LegSpec]) -> None:
    """Refuse repaying more principal than an investor has outstanding, or reimbursing a
    guarantor more than the programme owes it: the account would go below zero (repaid
    above drawn). Returns are not bounded here: the waterfall's caps govern them."""
    bounded = {AccountKind.INVESTOR_PRINCIPAL, AccountKind.GUARANTEE}
    for leg in legs:
        if leg.account.kind not in bounded:
            continue
        totals = Leg.objects.filter(account=leg.account).aggregate(
            debit=Sum("debit", default=0), credit=Sum("credit", default=0)
        )
        owed = totals["credit"] - totals["debit"]
        if leg.debit > owed:
            commitment = leg.account.commitment
            step = (
                "principal"
                if leg.account.kind == AccountKind.INVESTOR_PRINCIPAL
                else "guarantee_reimbursement"
            )
            raise ValidationError(
                {
                    "lines": _(
                        "%(step)s to %(recipient)s: %(amount)s is more than the %(owed)s "
                        "the programme owes it."
                    )
                    % {
                        "step": f"{step} {commitment.tranche.key}" if commitment else step,
                        "recipient": commitment.investor.slug if commitment else "",
                        "amount": amount_text(leg.debit, programme.currency),
                        "owed": amount_text(max(owed, 0), programme.currency),
                    }
                }
            )


def distribution_record(
    *,
    programme: Programme,
    paid_on: date,
    lines: list[PaidOut],
    actor: User | None,
    reason: str = "",
    idempotency_key: str = "",
) -> LedgerTransaction:
    """Post what was actually distributed on one payment date.

    Refused: no line or an amount not above zero, a recipient that is not a commitment
    of the named tranche (or a party of the programme, for fees), a date outside the
    contract, a second distribution of the same date (reverse the first one), more than
    the programme's cash, and a difference from the schedule's proposal without a reason.
    """
    reason = user_text(reason, field="reason").strip()
    given = _totals(lines)
    ledger.date_check(programme=programme, kind=DISTRIBUTION, on=paid_on, field="paid_on")
    currency = programme.currency
    with transaction.atomic():
        # The chain lock: a payment, a reversal or another distribution committing
        # meanwhile changes the cash this one pays from, and "recorded once per date".
        chain_lock(programme_id=programme.pk)
        if distribution_recorded(programme=programme, paid_on=paid_on) is not None:
            raise ValidationError(
                {
                    "paid_on": _(
                        "The distributions of %(date)s are recorded; reverse them first "
                        "to record them again."
                    )
                    % {"date": format_date(paid_on)}
                }
            )
        legs = [
            LegSpec(_account(programme, key), debit=given[key])
            for key in sorted(given, key=key_order)
        ]
        total = sum(given.values())
        cash = programme_position(programme=programme).cash
        if total > cash:
            raise ValidationError(
                {
                    "lines": _(
                        "The programme holds %(cash)s; distributing %(total)s would make "
                        "its cash negative."
                    )
                    % {"cash": amount_text(cash, currency), "total": amount_text(total, currency)}
                }
            )
        _check_owed(programme, legs)
        if differences(distribution_proposal(programme=programme, paid_on=paid_on), given) and (
            not reason
        ):
            raise ValidationError(
                {"reason": _("These amounts differ from the schedule's proposal: say why.")}
            )
        legs.insert(
            0,
            LegSpec(
                ledger.account_for(programme=programme, kind=AccountKind.PROGRAMME_CASH),
                credit=total,
            ),
        )
        return ledger.transaction_post(
            programme=programme,
            kind=DISTRIBUTION,
            occurred_on=paid_on,
            legs=legs,
            actor=actor,
            idempotency_key=idempotency_key,
            description=f"Waterfall distributions of {paid_on.isoformat()}",
            reason=reason,
        )


def organisation_names(slugs: Iterable[str]) -> dict[str, str]:
    """Return slug -> name of the organisations named by distribution lines."""
    return dict(Organisation.objects.filter(slug__in=set(slugs)).values_list("slug", "name"))
