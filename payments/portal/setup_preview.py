"""The waterfall of a definition not loaded yet, run by the engine on an example payment.

The portal's guided programme setup (sib.portal.setup_steps) asks through
`sib.signals.waterfall_preview`, since sib does not import payments: the tranches and
steps of the definition built so far become the engine's terms (payments.engine), every
commitment drawn in full on its date, and one payment goes through the steps. Nothing is
written; a definition the engine cannot read yet shows nothing (its step lists why).
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy

from payments.contract import engine_cap
from payments.engine.terms import Drawdown, Investor, Tranche, TrancheKind, WaterfallError
from payments.engine.waterfall import WaterfallState
from payments.waterfall_format import StepError, steps_from_list
from sib.signals import waterfall_preview

TEMPLATE = "payments/portal/setup_waterfall_preview.html"
STEP_LABELS = {
    "principal": gettext_lazy("Principal"),
    "return": gettext_lazy("Return"),
    "guarantee_reimbursement": gettext_lazy("Guarantee reimbursement"),
    "fees": gettext_lazy("Fees"),
    "provider_success_fee": gettext_lazy("Provider success fee"),
    "investor_success_fee": gettext_lazy("Investor success fee"),
    "recycle": gettext_lazy("Recycling"),
    "residual_to_payer": gettext_lazy("Residual to the payer"),
}


def _engine_tranche(item: dict[str, Any]) -> Tranche:
    cap = item.get("cap") or None
    guarantee = item.get("guarantee") or {}
    percent = guarantee.get("cover_percent")
    return Tranche(
        id=item["key"],
        kind=TrancheKind(item["kind"]),
        investors=tuple(
            Investor(
                id=commitment["investor"],
                drawdowns=(
                    ()
                    if item["kind"] == TrancheKind.GUARANTEE
                    else (
                        Drawdown(
                            date.fromisoformat(commitment["committed_on"]), commitment["amount"]
                        ),
                    )
                ),
                commitment=commitment["amount"],
            )
            for commitment in item.get("commitments") or []
        ),
        cap=engine_cap(cap["type"], Decimal(cap["value"])) if cap else None,
        protects=guarantee.get("protects"),
        cover_percent=Decimal(percent) if percent is not None else None,
        cover_limit=guarantee.get("cover_limit"),
    )


def waterfall_rows(document: dict[str, Any], amount: int, on: date) -> list[dict[str, Any]]:
    """Return one row per step: its kind, tranche, who is paid what, and what is left."""
    tranches = [_engine_tranche(item) for item in document.get("tranches") or []]
    steps = steps_from_list(document.get("waterfall"))
    state = WaterfallState.open(tranches, steps)
    for tranche in tranches:
        for index, investor in enumerate(tranche.investors):
            for drawdown in investor.drawdowns:
                state.draw(tranche.id, index, drawdown)
    paid, residual = state.distribute(on, amount)
    rows: list[dict[str, Any]] = []
    left = amount
    for index, step in enumerate(steps):
        parts = [(d.recipient, d.amount) for d in paid if d.step_index == index]
        left -= sum(part for _recipient, part in parts)
        rows.append(
            {
                "kind": step.kind,
                "label": STEP_LABELS.get(step.kind, step.kind),
                "tranche": getattr(step, "tranche", None),
                "parts": parts,
                "total": sum(part for _recipient, part in parts),
                "left": residual if step.kind == "residual_to_payer" else left,
            }
        )
    return rows


def setup_waterfall_figures(
    sender: Any, *, document: dict[str, Any], amount: int, on: date, **kwargs: Any
) -> str:
    try:
        rows = waterfall_rows(document, amount, on)
    except (StepError, WaterfallError, ArithmeticError, KeyError, TypeError, ValueError):
        return ""  # the step's own validation says what is wrong
    currency = document["programme"]["currency"]
    context = {"rows": rows, "currency": currency, "amount": amount, "on": on}
    return render_to_string(TEMPLATE, context)


def connect() -> None:
    waterfall_preview.connect(setup_waterfall_figures, dispatch_uid="payments.portal.setup")
