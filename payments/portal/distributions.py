"""Portal pages for distributions: proposed vs recorded, and recording them in one step.

The schedule proposes what to distribute on each payment date; the fund manager opens
that date, finds the proposal prefilled (one row per step and recipient), changes what
was paid differently, sees the figures and the differences on a confirmation page, and
records. Recording goes through payments.distributions.distribution_record inside
sib.api.idempotency, with the key the form carried since it was first shown.
"""

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.distributions import (
    Key,
    PaidOut,
    distribution_proposal,
    distribution_record,
    distribution_recorded,
    key_order,
    organisation_names,
)
from payments.position import distributions_compared, programme_position
from payments.selectors import tranche_names
from sib.api.idempotency import idempotent
from sib.exceptions import ApplicationError
from sib.money import from_minor
from sib.permissions import Action
from sib.portal.forms import IdempotentForm, MoneyField, add_service_errors
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import ProgrammeAccess, programme_access

STEP_NAMES = {
    "principal": gettext_lazy("Principal"),
    "return": gettext_lazy("Return"),
    "guarantee_reimbursement": gettext_lazy("Guarantee reimbursement"),
    "fees": gettext_lazy("Fees"),
    "provider_success_fee": gettext_lazy("Provider success fee"),
    "investor_success_fee": gettext_lazy("Investors’ success fee"),
}


def step_name(step: str) -> str:
    return str(STEP_NAMES.get(step, step))


class _PaidField(MoneyField):
    """An amount paid on one line: empty or zero means nothing was paid on it."""

    def clean(self, value: Any) -> int:
        if value in (None, "") or self.to_python(value) == 0:
            return 0
        return super().clean(value) or 0


class DistributionForm(IdempotentForm):
    reason = forms.CharField(
        label=gettext_lazy("Why the amounts differ from the proposal"),
        help_text=gettext_lazy("Required when an amount differs from the proposal."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, programme: Any, rows: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        currency = programme.currency
        for i, row in enumerate(rows):
            self.fields[f"amount_{i}"] = _PaidField(
                currency=currency,
                label=row["label"],
                required=False,
                initial=from_minor(row["proposed"], currency),
            )
        self.order_fields([f"amount_{i}" for i in range(len(rows))] + ["reason"])

    def lines(self) -> list[PaidOut]:
        return [
            PaidOut(row["key"][0], row["key"][2], amount, row["key"][1])
            for i, row in enumerate(self.rows)
            if (amount := self.cleaned_data[f"amount_{i}"])
        ]

    def compared(self) -> list[dict[str, Any]]:
        return [
            {
                **row,
                "recorded": self.cleaned_data[f"amount_{i}"],
                "difference": self.cleaned_data[f"amount_{i}"] - row["proposed"],
            }
            for i, row in enumerate(self.rows)
        ]


def _access(request: AuthenticatedRequest, programme_id: int, action: Action) -> ProgrammeAccess:
    return programme_access(user=request.user, programme_id=programme_id, action=action)


def _tranche_text(tranche: str | None, names: dict[str, str]) -> str:
    # In a form label (no markup): the name, its key in brackets.
    return f"{names.get(tranche, tranche)} ({tranche})" if tranche else ""


def _rows(proposal: dict[Key, int], tranches: dict[str, str]) -> list[dict[str, Any]]:
    names = organisation_names(key[2] for key in proposal)
    return [
        {
            "key": key,
            "step": step_name(key[0]),
            "tranche": key[1],
            "tranche_name": tranches.get(key[1], key[1]) if key[1] else "",
            "recipient": names.get(key[2], key[2]),
            "label": " — ".join(
                part
                for part in (
                    step_name(key[0]),
                    _tranche_text(key[1], tranches),
                    names.get(key[2], key[2]),
                )
                if part
            ),
            "proposed": proposal[key],
        }
        for key in sorted(proposal, key=key_order)
    ]


@login_required
def distributions(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    """Per payment date: proposed, recorded and the difference, until it is zero."""
    access = _access(request, programme_id, Action.PAYMENT_RECORD)
    lines = distributions_compared(programme=access.programme)
    names = organisation_names(line.recipient for line in lines)
    tranches = tranche_names(programme_id=access.programme.pk)
    dates: dict[date, dict[str, Any]] = {}
    for line in lines:
        entry = dates.setdefault(
            line.on, {"on": line.on, "lines": [], "proposed": 0, "recorded": 0}
        )
        entry["lines"].append(
            {
                "step": step_name(line.step_kind),
                "tranche": line.tranche,
                "tranche_name": tranches.get(line.tranche, line.tranche) if line.tranche else "",
                "recipient": names.get(line.recipient, line.recipient),
                "proposed": line.proposed,
                "recorded": line.recorded,
                "difference": line.difference,
            }
        )
        entry["proposed"] += line.proposed
        entry["recorded"] += line.recorded
    for entry in dates.values():
        entry["transaction"] = distribution_recorded(
            programme=access.programme, paid_on=entry["on"]
        )
        entry["difference"] = entry["recorded"] - entry["proposed"]
        entry["settled"] = all(line["difference"] == 0 for line in entry["lines"])
    return render(
        request,
        "payments/portal/distributions.html",
        programme_context(
            access,
            dates=list(dates.values()),
            cash=programme_position(programme=access.programme).cash,
        ),
    )


@login_required
def distribution_record_page(
    request: AuthenticatedRequest, programme_id: int, paid_on: str
) -> HttpResponse:
    """Record the distributions of one date: edit, confirm, record."""
    access = _access(request, programme_id, Action.PAYMENT_RECORD)
    programme = access.programme
    try:
        on = date.fromisoformat(paid_on)
    except ValueError:
        raise Http404 from None
    # A date the schedule pays nothing on shows an empty page that says so.
    proposal = distribution_proposal(programme=programme, paid_on=on)
    form = DistributionForm(
        request.POST or None,
        programme=programme,
        rows=_rows(proposal, tranche_names(programme_id=programme.pk)),
    )
    template = "payments/portal/distribution_record.html"
    context: dict[str, Any] = {"form": form, "paid_on": on}
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        if "confirm" not in request.POST:
            template = "payments/portal/distribution_confirm.html"
            compared = form.compared()
            total = sum(row["recorded"] for row in compared)
            cash = programme_position(programme=programme).cash
            context.update(
                compared=compared,
                total=total,
                proposed=sum(row["proposed"] for row in compared),
                cash=cash,
                cash_after=cash - total,
            )
        else:
            done = _record(request, access, form, on)
            if done is not None:
                return done
    return render(request, template, programme_context(access, **context))


def _record(
    request: AuthenticatedRequest, access: ProgrammeAccess, form: DistributionForm, on: date
) -> HttpResponse | None:
    data = form.cleaned_data
    lines = form.lines()

    def perform() -> tuple[int, dict[str, Any]]:
        tx = distribution_record(
            programme=access.programme,
            paid_on=on,
            lines=lines,
            reason=data["reason"],
            actor=request.user,
            idempotency_key=data["idempotency_key"],
        )
        messages.success(request, _("Distributions recorded."))
        return 201, {"transaction": tx.pk}

    body = {
        "paid_on": on.isoformat(),
        "lines": [[*line.key, line.amount] for line in lines],
        "reason": data["reason"],
    }
    try:
        response = idempotent(
            scope=f"programme:{access.programme.pk}",
            key=data["idempotency_key"],
            operation="portal:distribution_record",
            body=body,
            perform=perform,
        )
    except (ValidationError, ApplicationError) as error:
        add_service_errors(form, error)
        return None
    if response.status_code == 200:
        messages.info(request, _("This was already recorded; nothing was recorded twice."))
    return HttpResponseRedirect(
        reverse("payments_portal:distributions", kwargs={"programme_id": access.programme.pk})
    )
