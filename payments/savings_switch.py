"""When a savings share switches under ``payment_terms.savings_switch = "repaid"``.

The booking of outcome payments due (payments.accrual, the payer notices) prices savings
results like the schedule document does: a result achieved on or before the date the
actual schedule repays the investors' principal pays the first share, a later one the
second. The date is the actual schedule's (``savings_repaid_on`` in the document, see
docs/programme-format.md), read at the chain head: payments received repay the principal,
and they do not depend on the plan, so the date is known before the results are priced.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from payments.models import Commitment, PaymentTerms
from payments.rules.savings_share import RepaidOn
from sib.models import Programme


def savings_pricing(*, programme: Programme) -> int | RepaidOn:
    """Return what savings results are priced with: the repayment date or the target."""
    switch = savings_repaid_switch(programme=programme)
    return switch if switch is not None else savings_repayment_target(programme=programme)


def savings_repaid_switch(*, programme: Programme) -> RepaidOn | None:
    """Return the repayment date to price savings results with, or None under "target"."""
    terms = PaymentTerms.objects.filter(programme=programme).first()
    if terms is None or terms.savings_switch != "repaid":
        return None
    # Imported here: the schedule builder prices outcome payments with this module's caller.
    from payments.schedule_builder import ScheduleError, schedule_document

    try:
        document = schedule_document(programme=programme)
    except ScheduleError:
        # No contract chained yet: nothing has been repaid.
        return RepaidOn(None)
    on = document.get("savings_repaid_on")
    return RepaidOn(date.fromisoformat(on) if on else None)


def savings_repayment_target(*, programme: Programme) -> int:
    """Return investors' principal plus agreed return, for savings-share pricing.

    The programme's `savings_repayment_target` when set; otherwise every non-guarantee
    commitment plus its capped return over the programme's term: simple annual rate
    (ACT/365), IRR compounded annually, or (multiple - 1) x amount; uncapped adds none.
    Rounded to the cent, half up.
    """
    terms = PaymentTerms.objects.filter(programme=programme).first()
    if terms is not None and terms.savings_repayment_target is not None:
        return terms.savings_repayment_target
    years = Decimal((programme.end_date - programme.start_date).days) / 365
    total = Decimal(0)
    for commitment in Commitment.objects.filter(programme=programme).select_related("tranche"):
        tranche = commitment.tranche
        if tranche.kind == "guarantee":
            continue
        amount = Decimal(commitment.amount)
        rate = tranche.cap_value or Decimal(0)
        if tranche.cap_type == "annual_rate":
            amount += amount * rate * years
        elif tranche.cap_type == "irr":
            amount *= (1 + rate) ** years
        elif tranche.cap_type == "multiple":
            amount *= rate
        total += amount
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))
