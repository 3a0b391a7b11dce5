"""Portal pages for guarantee calls and payments, and for reversing a money movement.

A reversal asks for a reason, shows the movement and what reversing it changes, and
only then posts the reversing transaction (payments.services.ledger_transaction_reverse).
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments import services
from payments.guarantees import guarantee_call_record, guarantee_payment_record
from payments.models import Commitment, LedgerTransaction, TrancheKind, TransactionKind
from payments.portal.forms import DateInput
from payments.position import programme_position
from payments.reversals import REVERSAL_ACTIONS, REVERSIBLE
from payments.selectors import commitment_list
from sib.api.idempotency import idempotent
from sib.clock import today
from sib.exceptions import ApplicationError
from sib.permissions import Action
from sib.portal.forms import IdempotentForm, MoneyField, add_service_errors
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import ProgrammeAccess, programme_access

KIND_NAMES = {
    TransactionKind.DRAWDOWN: gettext_lazy("Drawdown"),
    TransactionKind.PAYMENT_RECEIVED: gettext_lazy("Outcome payment received"),
    TransactionKind.DISTRIBUTION: gettext_lazy("Distributions"),
    TransactionKind.GUARANTEE_CALL: gettext_lazy("Guarantee call"),
    TransactionKind.GUARANTEE_PAYMENT: gettext_lazy("Guarantee payment received"),
    TransactionKind.CREDIT_REFUND: gettext_lazy("Credit refunded to a payer"),
}


class _GuaranteeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.investor.name} — {obj.tranche.name}"


class GuaranteeForm(IdempotentForm):
    commitment = _GuaranteeChoice(
        label=gettext_lazy("Guarantor"), queryset=Commitment.objects.none()
    )
    on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput)
    amount = forms.Field(label=gettext_lazy("Amount"))

    def __init__(self, *args: Any, access: ProgrammeAccess, call: bool, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("on", today())
        super().__init__(*args, **kwargs)
        currency = access.programme.currency
        self.fields["commitment"].queryset = commitment_list(access=access).filter(  # type: ignore[attr-defined]
            tranche__kind=TrancheKind.GUARANTEE
        )
        self.fields["amount"] = MoneyField(
            currency=currency, label=_("Amount (%(currency)s)") % {"currency": currency}
        )
        if call:
            self.fields["reason"] = forms.CharField(
                label=gettext_lazy("Why the guarantee is called"),
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )


class ReverseForm(IdempotentForm):
    reason = forms.CharField(
        label=gettext_lazy("Why this movement is reversed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _access(request: AuthenticatedRequest, programme_id: int, action: Action) -> ProgrammeAccess:
    return programme_access(user=request.user, programme_id=programme_id, action=action)


def _once(
    access: ProgrammeAccess, form: Any, operation: str, body: dict[str, Any], perform: Any
) -> Any:
    """Run `perform` once for the form's key; return the response, or None on a refusal."""
    try:
        return idempotent(
            scope=f"programme:{access.programme.pk}",
            key=form.cleaned_data["idempotency_key"],
            operation=operation,
            body=body,
            perform=perform,
        )
    except (ValidationError, ApplicationError) as error:
        add_service_errors(form, error, called_on="on", received_on="on")
    return None


def _movements(access: ProgrammeAccess) -> Any:
    return (
        LedgerTransaction.objects.filter(
            programme=access.programme, kind__in=REVERSIBLE, reversal__isnull=True
        )
        .annotate(amount=Sum("legs__debit"))
        .order_by("-occurred_on", "-id")
    )


@login_required
def guarantees(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = _access(request, programme_id, Action.PAYMENT_RECORD)
    position = programme_position(programme=access.programme)
    recent = _movements(access).filter(
        kind__in=(TransactionKind.GUARANTEE_CALL, TransactionKind.GUARANTEE_PAYMENT)
    )
    return render(
        request,
        "payments/portal/guarantees.html",
        programme_context(access, guarantors=position.guarantors, recent=recent),
    )


@login_required
def guarantee_record(request: AuthenticatedRequest, programme_id: int, what: str) -> HttpResponse:
    access = _access(request, programme_id, Action.PAYMENT_RECORD)
    if what not in ("call", "payment"):
        raise Http404
    call = what == "call"
    form = GuaranteeForm(request.POST or None, access=access, call=call)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def perform() -> tuple[int, dict[str, Any]]:
            if call:
                tx = guarantee_call_record(
                    commitment=data["commitment"],
                    amount=data["amount"],
                    called_on=data["on"],
                    reason=data["reason"],
                    actor=request.user,
                    idempotency_key=data["idempotency_key"],
                )
                messages.success(request, _("Guarantee call recorded."))
            else:
                tx = guarantee_payment_record(
                    commitment=data["commitment"],
                    amount=data["amount"],
                    received_on=data["on"],
                    actor=request.user,
                    idempotency_key=data["idempotency_key"],
                )
                messages.success(request, _("Guarantee payment recorded."))
            return 201, {"transaction": tx.pk}

        body = {
            "commitment": data["commitment"].pk,
            "on": data["on"].isoformat(),
            "amount": data["amount"],
            "reason": data.get("reason", ""),
        }
        response = _once(access, form, f"portal:guarantee_{what}", body, perform)
        if response is not None:
            return HttpResponseRedirect(
                reverse("payments_portal:guarantees", kwargs={"programme_id": programme_id})
            )
    title = _("Record a guarantee call") if call else _("Record a guarantee payment")
    return render(
        request,
        "payments/portal/guarantee_record.html",
        programme_context(access, form=form, title=title, call=call),
    )


@login_required
def movements(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = _access(request, programme_id, Action.PAYMENT_RECORD)
    rows = [{"tx": tx, "kind": KIND_NAMES[tx.kind]} for tx in _movements(access)[:200]]
    return render(request, "payments/portal/movements.html", programme_context(access, rows=rows))


@login_required
def transaction_reverse(
    request: AuthenticatedRequest, programme_id: int, transaction_id: int
) -> HttpResponse:
    """Reverse a movement: a reason, a confirmation showing what changes, then the reversal."""
    access = _access(request, programme_id, Action.PROGRAMME_VIEW)
    original = _movements(access).filter(pk=transaction_id).first()
    if original is None:
        raise Http404
    access.require(REVERSAL_ACTIONS[original.kind])
    form = ReverseForm(request.POST or None)
    context: dict[str, Any] = {
        "form": form,
        "original": original,
        "kind": KIND_NAMES[original.kind],
    }
    template = "payments/portal/transaction_reverse.html"
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        if "confirm" not in request.POST:
            template = "payments/portal/transaction_reverse_confirm.html"
            context["legs"] = original.legs.select_related("account").order_by("id")
            context["cash"] = programme_position(programme=access.programme).cash
            context["cash_after"] = context["cash"] - sum(
                leg.debit - leg.credit
                for leg in context["legs"]
                if leg.account.kind == "programme_cash"
            )
        else:
            data = form.cleaned_data

            def perform() -> tuple[int, dict[str, Any]]:
                tx = services.ledger_transaction_reverse(
                    original=original,
                    reason=data["reason"],
                    actor=request.user,
                    idempotency_key=data["idempotency_key"],
                )
                messages.success(request, _("Movement reversed."))
                return 201, {"transaction": tx.pk}

            body = {"transaction": original.pk, "reason": data["reason"]}
            try:
                response = _once(access, form, f"portal:reverse:{original.pk}", body, perform)
            except services.AlreadyReversed:
                form.add_error(None, _("This movement has already been reversed."))
                response = None
            if response is not None:
                return HttpResponseRedirect(
                    reverse("payments_portal:movements", kwargs={"programme_id": programme_id})
                )
    return render(request, template, programme_context(access, **context))
