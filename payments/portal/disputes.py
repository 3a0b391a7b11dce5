"""Portal page to withdraw a dispute, with the figures it changes shown before it is done.

The page lives with the money pages because its figures are the payers' positions (and
outcomes does not import payments); the withdrawal itself is outcomes' service, the same
the API calls. A funder reaches it from the result's page ("Withdraw my dispute").
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outcomes.disputes import dispute_to_withdraw, dispute_withdraw, may_withdraw
from outcomes.models import Result, ResultState
from outcomes.selectors import result_get
from payments.accrual import dispute_release_preview
from payments.position import programme_position
from sib.exceptions import Conflict
from sib.permissions import Action
from sib.portal.forms import add_service_errors
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import programme_access


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why the dispute is withdrawn"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


def _result_url(programme_id: int, result_id: int) -> str:
    return reverse("outcomes_portal:result-detail", args=[programme_id, result_id])


@login_required
def dispute_withdraw_page(
    request: AuthenticatedRequest, programme_id: int, result_id: int
) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.RESULT_ACCEPT
    )
    try:
        result: Result = result_get(programme=access.programme, result_id=result_id)
    except Result.DoesNotExist:
        raise Http404 from None
    if result.state != ResultState.VERIFIED:  # type: ignore[attr-defined]
        raise Http404
    review = dispute_to_withdraw(result=result, user=request.user)
    if review is None or not may_withdraw(review=review, user=request.user):
        raise PermissionDenied(
            _(
                "Only the funder who raised this dispute, or a funder of the same payer, "
                "may withdraw it."
            )
        )
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dispute_withdraw(review=review, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        except Conflict as conflict:
            messages.error(request, str(conflict))
            return HttpResponseRedirect(_result_url(programme_id, result.pk))
        else:
            messages.success(request, _("Dispute withdrawn. The amount it held is due again."))
            return HttpResponseRedirect(_result_url(programme_id, result.pk))
    position = programme_position(programme=access.programme)
    released = dispute_release_preview(programme=access.programme, review_id=review.pk)
    rows: list[dict[str, Any]] = [
        {
            "payer": payer,
            "released": released[payer.payer],
            "disputed_after": payer.disputed - released[payer.payer],
            "payable_after": max(payer.outstanding - payer.disputed + released[payer.payer], 0),
        }
        for payer in position.payers
        if payer.payer in released
    ]
    return render(
        request,
        "payments/portal/dispute_withdraw.html",
        programme_context(access, form=form, result=result, review=review, rows=rows),
    )
