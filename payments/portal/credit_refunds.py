"""Portal page for refunding a payer's credit (payments.credit_refunds): the form, then a
confirmation showing the credit before and after, then the refund, recorded once per
form (its idempotency key)."""

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.credit_refunds import credit_refund_record
from payments.portal.forms import DateInput
from payments.portal.views import _record
from payments.position import programme_position
from sib.clock import today
from sib.models import Organisation, PartyRole
from sib.permissions import Action
from sib.portal.forms import IdempotentForm, MoneyField, amount_example
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import ProgrammeAccess, programme_access
from sib.selectors import programme_parties


class CreditRefundForm(IdempotentForm):
    payer = forms.ModelChoiceField(
        label=gettext_lazy("Outcome payer"), queryset=Organisation.objects.none()
    )
    refunded_on = forms.DateField(label=gettext_lazy("Date refunded"), widget=DateInput)
    amount = forms.Field(label=gettext_lazy("Amount"))
    reason = forms.CharField(
        label=gettext_lazy("Why the credit is refunded"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Set by the confirmation page: the figures were shown and the user confirmed them.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, access: ProgrammeAccess, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("refunded_on", today())
        super().__init__(*args, **kwargs)
        currency = access.programme.currency
        payers = programme_parties(programme=access.programme).filter(role=PartyRole.OUTCOME_PAYER)
        self.fields["payer"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            pk__in=payers.values("organisation")
        ).order_by("name")
        self.fields["amount"] = MoneyField(
            currency=currency,
            label=_("Amount (%(currency)s)") % {"currency": currency},
            help_text=amount_example(currency),
        )


@login_required
def credit_refund_record_page(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.PAYMENT_RECORD
    )
    form = CreditRefundForm(request.POST or None, access=access)
    position = programme_position(programme=access.programme)
    if request.method == "POST" and form.is_valid() and not form.cleaned_data["confirmed"]:
        # Money leaving the programme: show the credit before and after first.
        payer = position.payer(form.cleaned_data["payer"].slug)
        amount = form.cleaned_data["amount"]
        return render(
            request,
            "payments/portal/credit_refund_confirm.html",
            programme_context(
                access,
                form=form,
                payer=payer,
                amount=amount,
                after=payer.credit - amount,
            ),
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def perform() -> tuple[int, dict[str, Any]]:
            tx = credit_refund_record(
                programme=access.programme,
                payer=data["payer"],
                amount=data["amount"],
                refunded_on=data["refunded_on"],
                reason=data["reason"],
                actor=request.user,
                idempotency_key=data["idempotency_key"],
            )
            return 201, {"transaction": tx.pk}

        body = {
            "payer": data["payer"].slug,
            "refunded_on": data["refunded_on"].isoformat(),
            "amount": data["amount"],
            "reason": data["reason"],
        }
        done = _record(request, access, form, "portal:credit_refund_record", body, perform)
        if done:
            return done
    return render(
        request,
        "payments/portal/credit_refund_record.html",
        programme_context(access, form=form, position=position),
    )
