"""What a verification would book, shown on outcomes' confirmation page before it is made.

Outcomes does not import payments, so its page asks through outcomes.signals.
decision_preview; this receiver answers with the payers' figures, read by the same engine
the booking runs (payments.accrual.verification_preview).
"""

from typing import Any

from django.template.loader import render_to_string

from outcomes.models import Result
from outcomes.rule_json import RuleError
from outcomes.signals import decision_preview
from payments.accrual import verification_preview
from payments.position import programme_position
from sib.models import Programme

UNPRICED = ("tracked", "undisclosed")


def verification_figures(
    sender: Any, *, programme: Programme, result: Result, **kwargs: Any
) -> str:
    """Return the table of what each payer owes now and will owe once `result` is verified."""
    template = "payments/portal/verification_preview.html"
    try:
        change = verification_preview(programme=programme, result=result)
    except RuleError as exc:
        return render_to_string(template, {"refused": str(exc)})
    payers = programme_position(programme=programme).payers
    rows = [
        {
            "payer": payer,
            "change": change.get(payer.payer, 0),
            "after": payer.due + change.get(payer.payer, 0),
        }
        for payer in payers
    ]
    totals = {
        "due": sum(payer.due for payer in payers),
        "change": sum(change.values()),
        "after": sum(payer.due + change.get(payer.payer, 0) for payer in payers),
    }
    context = {
        "rows": rows,
        "currency": programme.currency,
        "total": totals["change"],
        "totals": totals,
        # A metric the contract does not price says why it adds nothing (never "0 due").
        "unpriced": result.metric.mechanism_kind
        if result.metric.mechanism_kind in UNPRICED
        else "",
    }
    return render_to_string(template, context)


def connect() -> None:
    decision_preview.connect(verification_figures, dispatch_uid="payments.portal.previews")
