"""What a verification would book, shown on outcomes' pages before it is made.

Outcomes does not import payments, so its pages (the result's page, its verify
confirmation, the submit page's preview) ask through outcomes.signals.decision_preview;
this receiver answers with the payers' figures, read by the same engine the booking runs
(payments.accrual.verification_preview): what each payer owes now, what the result adds,
and the caps that hold part of it back. The results import page asks the same of every
result a file makes, through outcomes.signals.import_preview. It writes nothing.
"""

from typing import Any

from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from outcomes.models import Result
from outcomes.rule_json import RuleError
from outcomes.selectors import metric_list
from outcomes.signals import decision_preview, import_preview
from payments.accrual import (
    CapCut,
    VerificationPreview,
    verification_preview,
    verifications_preview,
)
from payments.position import programme_position
from sib.models import Programme

UNPRICED = ("tracked", "undisclosed")
TEMPLATE = "payments/portal/verification_preview.html"

# The caps of the contract (payments.rules.NotPayableReason), as the preview names them.
CAP_LABELS: dict[str, Promise] = {
    "participant_cap": _("Cap per participant"),
    "metric_count_cap": _("Cap on the number of outcomes paid for the metric"),
    "metric_amount_cap": _("Cap on the amount paid for the metric"),
    "contract_cap": _("Contract cap on outcome payments"),
}


def _caps(programme: Programme, caps: tuple[CapCut, ...]) -> list[dict[str, Any]]:
    names = dict(metric_list(programme=programme).values_list("code", "name"))
    return [
        {
            "code": cut.cap,
            "label": CAP_LABELS.get(cut.cap, cut.cap),
            "metric": cut.metric or "",
            "metric_name": names.get(cut.metric, cut.metric) if cut.metric else "",
            "amount": cut.amount,
        }
        for cut in caps
    ]


def verification_figures(
    sender: Any, *, programme: Programme, result: Result, **kwargs: Any
) -> str:
    """Return the table of what each payer owes now and will owe once `result` is verified,
    and the caps that cut it. `result` may be unsaved (a submission not made yet)."""
    try:
        preview = verification_preview(programme=programme, result=result)
    except RuleError as exc:
        return render_to_string(TEMPLATE, {"refused": str(exc)})
    # A metric the contract does not price says why it adds nothing (never "0 due").
    kind = result.metric.mechanism_kind
    return _figures(programme, preview, unpriced=kind if kind in UNPRICED else "")


def import_figures(
    sender: Any, *, programme: Programme, results: list[Result], **kwargs: Any
) -> str:
    """Return the same table for every result a CSV import makes, verified together: what
    each payer owes now, what the file adds, what it would owe after."""
    if not results:
        return ""
    try:
        preview = verifications_preview(programme=programme, results=results)
    except RuleError as exc:
        return render_to_string(TEMPLATE, {"refused": str(exc), "for_import": True})
    return _figures(programme, preview, for_import=True)


def _figures(
    programme: Programme,
    preview: VerificationPreview,
    *,
    unpriced: str = "",
    for_import: bool = False,
) -> str:
    change = preview.change
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
        "caps": _caps(programme, preview.caps),
        "unpriced": unpriced,
        "for_import": for_import,
    }
    return render_to_string(TEMPLATE, context)


def connect() -> None:
    decision_preview.connect(verification_figures, dispatch_uid="payments.portal.previews")
    import_preview.connect(import_figures, dispatch_uid="payments.portal.previews.imports")
