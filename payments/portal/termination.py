"""Terminating a programme early, from the portal: a date and a reason, then a
confirmation showing what each payer owes now and would owe after, then the termination.

Terminating stops the contract: results dated after the termination day stop paying, and
the ledger restates what each payer owes (sib.services.programme_terminate, whose signal
has payments book the difference). It cannot be undone, so the page shows the figures
first and only the confirmed POST acts. The page is payments' because the figures are.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outcomes.rule_json import RuleError
from payments.dues_preview import termination_dues_preview
from payments.portal.forms import DateInput
from sib.models import ProgrammeStatus
from sib.permissions import Action
from sib.portal.forms import add_service_errors
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import programme_access
from sib.services import programme_terminate, termination_check

TERMINABLE = (ProgrammeStatus.DRAFT, ProgrammeStatus.ACTIVE)


class TerminationForm(forms.Form):
    termination_date = forms.DateField(
        label=gettext_lazy("Termination date"),
        widget=DateInput,
        help_text=gettext_lazy("Results dated after this day stop paying."),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


@login_required
def programme_termination(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.PROGRAMME_MANAGE
    )
    programme = access.programme
    form = TerminationForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "terminable": programme.status in TERMINABLE}
    template = "payments/portal/termination.html"
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        data = form.cleaned_data
        try:
            # The service's rules, said before the figures rather than after confirming.
            termination_check(programme=programme, **data)
            if "confirm" in request.POST:
                programme_terminate(programme=programme, **data)
                messages.success(request, _("The programme is terminated."))
                return redirect("portal:programme-home", programme.pk)
        except ValidationError as refusal:
            add_service_errors(form, refusal)
        else:
            template = "payments/portal/termination_confirm.html"
            try:
                # What each payer owes now and once terminated, redemptions included.
                context["preview"] = termination_dues_preview(
                    programme=programme, on=data["termination_date"]
                )
            except RuleError as refusal:
                context["refused"] = str(refusal)
    return render(request, template, programme_context(access, **context))
