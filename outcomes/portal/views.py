"""Portal pages for results: submit, follow, verify or reject, amend, accept or dispute
(the CSV import is outcomes.portal.imports).

Views parse, call one service of outcomes.services (the same as the API) and render; who may
do what is sib.scoping's answer. A refusal the server makes (four eyes, a closed programme)
comes from the service or the database, never from a hidden button alone.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from outcomes import evidence, selectors, services
from outcomes.disputes import dispute_to_withdraw, may_withdraw
from outcomes.models import Result, ResultState
from outcomes.portal import forms
from outcomes.portal.cells import cell_to_confirm
from outcomes.portal.labels import (
    STAGE_LABELS,
    STATE_LABELS,
    VERDICT_LABELS,
)
from outcomes.portal.previews import before_submission, before_verification
from outcomes.selectors_portal import (
    awaiting_decision,
    evidence_list,
    replacing_finals,
    result_list_for,
    review_list,
    verification_queue,
)
from sib.exceptions import ApplicationError, Conflict
from sib.permissions import Action
from sib.portal.forms import add_service_errors
from sib.portal.labels import label
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import ProgrammeAccess, programme_access


@dataclass(frozen=True)
class ResultRow:
    result: Result
    state: str
    state_code: str
    stage: str
    mine: bool
    disputed: bool
    # A verified interim that a final of its cell replaces (outcomes.cells): still
    # verified, counted for nothing. The id of that final.
    replaced_by: int | None = None


def result_rows(results: Iterable[Result], access: ProgrammeAccess) -> list[ResultRow]:
    listed = list(results)
    replaced = replacing_finals(listed)
    return [_row(r, access, replaced.get(r.pk)) for r in listed]


def _row(result: Result, access: ProgrammeAccess, replaced_by: int | None = None) -> ResultRow:
    state = str(result.state)  # type: ignore[attr-defined]
    return ResultRow(
        result=result,
        state=label(STATE_LABELS, state),
        state_code=state,
        stage=label(STAGE_LABELS, result.stage),
        mine=result.submitted_by_id == access.user.pk,
        # An open dispute: on a superseded result, the amendment resolved it.
        disputed=bool(getattr(result, "disputed", False)),
        replaced_by=replaced_by,
    )


def _detail_url(programme_id: int, result_id: int) -> str:
    return reverse(
        "outcomes_portal:result-detail",
        kwargs={"programme_id": programme_id, "result_id": result_id},
    )


def _submit_preview(
    request: AuthenticatedRequest, access: ProgrammeAccess, form: forms.ResultSubmitForm
) -> HttpResponse:
    """Show the result the form would make, and submit nothing: a refusal the cell makes
    is said beside its field, as the service would say it."""
    template = "outcomes/portal/result_submit.html"
    try:
        shown = before_submission(access=access, form=form)
    except ApplicationError as refusal:
        add_service_errors(form, refusal)
        return render(request, template, programme_context(access, form=form))
    # The same entries again, the cell's results marked seen when there are.
    seen = request.POST.copy()
    if shown["in_cell"]:
        seen["confirmed"] = "on"
    form = forms.ResultSubmitForm(seen, programme=access.programme)
    context = programme_context(access, form=form, file_dropped=bool(request.FILES), **shown)
    return render(request, template, context)


@login_required
def result_submit(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.RESULT_SUBMIT
    )
    form = forms.ResultSubmitForm(
        request.POST or None, request.FILES or None, programme=access.programme
    )
    if request.method == "POST" and form.is_valid():
        # A cell holding results the evaluator has not seen: the page shows what this one
        # does to each before making it (outcomes.portal.previews).
        if cell_to_confirm(access, form):
            return _submit_preview(request, access, form)
        try:
            result = services.result_submit(
                programme=access.programme,
                user=request.user,
                metric=form.cleaned_data["metric"],
                cohort=form.cleaned_data["cohort"],
                period=form.cleaned_data["period"],
                stage=form.cleaned_data["stage"],
                values=form.values(),
            )
            if form.cleaned_data.get("evidence"):
                evidence.evidence_attach(
                    result=result, user=request.user, uploaded=form.cleaned_data["evidence"]
                )
        except (ValidationError, ApplicationError) as error:
            add_service_errors(form, error, file="evidence")
        else:
            messages.success(
                request, _("Result submitted. A lead evaluator other than you will verify it.")
            )
            return HttpResponseRedirect(_detail_url(access.programme.pk, result.pk))
    return render(
        request, "outcomes/portal/result_submit.html", programme_context(access, form=form)
    )


def _list_page(
    request: AuthenticatedRequest,
    access: ProgrammeAccess,
    results: Any,
    *,
    title: str,
    intro: str,
    empty: str,
    filters: bool = False,
) -> HttpResponse:
    rows = result_rows(results[:500], access)
    return render(
        request,
        "outcomes/portal/result_list.html",
        programme_context(
            access,
            rows=rows,
            page_title=title,
            intro=intro,
            empty=empty,
            filters=filters,
            mine=request.GET.get("mine") == "1",
            state=request.GET.get("state", ""),
            states=[(code, label(STATE_LABELS, code)) for code in ResultState.values],
        ),
    )


@login_required
def result_list(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.RESULT_VIEW
    )
    state = request.GET.get("state") or None
    if state not in ResultState.values:
        state = None
    results = result_list_for(access=access, state=state, mine=request.GET.get("mine") == "1")
    return _list_page(
        request,
        access,
        results,
        title=_("Submissions"),
        intro=_("Every result submitted on this programme, newest first, with its state."),
        empty=_("No result matches."),
        filters=True,
    )


@login_required
def verification_queue_page(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.RESULT_VERIFY
    )
    return _list_page(
        request,
        access,
        verification_queue(access=access),
        title=_("Verification queue"),
        intro=_(
            "Results submitted by other evaluators, oldest first. Your own submissions are "
            "not here: another lead evaluator verifies them."
        ),
        empty=_("Nothing is waiting for you."),
    )


@login_required
def acceptance_list(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.RESULT_ACCEPT
    )
    return _list_page(
        request,
        access,
        awaiting_decision(access=access),
        title=_("Results awaiting your decision"),
        intro=_(
            "Verified results you have neither accepted nor disputed yet. Open one to accept "
            "it or dispute it."
        ),
        empty=_("No result awaits your decision."),
    )


def _result(access: ProgrammeAccess, result_id: int) -> Result:
    try:
        result = selectors.result_get(programme=access.programme, result_id=result_id)
    except Result.DoesNotExist:
        raise Http404 from None
    # As in the API: for a funder, results not verified do not exist.
    if not access.allows(Action.RESULT_VIEW) and result.state != ResultState.VERIFIED:  # type: ignore[attr-defined]
        raise Http404
    return result


def _plain(value: Decimal | None) -> Decimal | None:
    """Return 42 for 42.000000 (the column's scale), keeping 0.45 as it is."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


_ACTIONS = {
    "verify": (Action.RESULT_VERIFY, forms.VerifyForm),
    "reject": (Action.RESULT_VERIFY, forms.RejectForm),
    "amend": (Action.RESULT_AMEND, forms.AmendForm),
    "review": (Action.RESULT_ACCEPT, forms.ReviewForm),
    "evidence": (Action.RESULT_SUBMIT, forms.EvidenceForm),
}


def _perform(
    request: AuthenticatedRequest, action: str, form: Any, result: Result
) -> tuple[str, int]:
    """Call the action's service; return the success message and the result to show."""
    data = form.cleaned_data
    user = request.user
    if action == "verify":
        services.result_verify(result=result, user=user, comment=data["comment"])
        return _("Result verified. It now counts for outcome payments."), result.pk
    if action == "reject":
        services.result_reject(result=result, user=user, comment=data["comment"])
        return _("Result rejected."), result.pk
    if action == "amend":
        amendment = services.result_amend(
            result=result,
            user=user,
            reason=data["reason"],
            stage=data["stage"],
            values=form.values(),
        )
        return _("Amendment submitted; it replaces the result once verified."), amendment.pk
    if action == "review":
        services.result_review(
            result=result, user=user, verdict=data["verdict"], comment=data["comment"]
        )
        return _("Your decision is recorded."), result.pk
    evidence.evidence_attach(result=result, user=user, uploaded=data["file"])
    return _("Document attached."), result.pk


# A decision is final and chained: a verify or reject the page offers is shown with the
# result's figures first, and made only when the confirmation page posts it back.
_CONFIRMED_ACTIONS = ("verify", "reject")


def _decision_confirm_page(
    request: AuthenticatedRequest, access: ProgrammeAccess, action: str, form: Any, result: Result
) -> HttpResponse:
    return render(
        request,
        "outcomes/portal/result_decide_confirm.html",
        programme_context(
            access,
            action=action,
            form=form,
            result=result,
            stage=label(STAGE_LABELS, result.stage),
            evidence=evidence_list(result=result),
            # What verifying would book, from the apps above (payments: each payer's due).
            **(
                before_verification(access=access, result=result)
                if action == "verify"
                else {"in_cell": [], "previews": []}
            ),
        ),
    )


@login_required
def result_detail(request: AuthenticatedRequest, programme_id: int, result_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.OUTCOME_VIEW
    )
    result = _result(access, result_id)
    state = str(result.state)  # type: ignore[attr-defined]
    bound: dict[str, Any] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in _ACTIONS:
            raise Http404
        required, form_class = _ACTIONS[action]
        access.require(required)
        form = form_class(request.POST, request.FILES, prefix=action)
        decidable = state == ResultState.SUBMITTED and result.submitted_by_id != request.user.pk
        if (
            form.is_valid()
            and action in _CONFIRMED_ACTIONS
            and not form.cleaned_data["confirmed"]
            # What the page would not offer (decided already, one's own) goes straight to
            # the service, which refuses it with its reason: nothing to confirm.
            and decidable
        ):
            return _decision_confirm_page(request, access, action, form, result)
        if form.is_valid():
            try:
                message, shown = _perform(request, action, form, result)
            except ValidationError as error:
                add_service_errors(form, error)
            except Conflict as conflict:
                if action != "amend":
                    messages.error(request, str(conflict))
                    return HttpResponseRedirect(_detail_url(programme_id, result.pk))
                # On the amendment form, which keeps the reason and figures typed.
                add_service_errors(form, conflict)
            except PermissionDenied as refusal:
                # Four eyes: the page hides the buttons, so only a stale or crafted form
                # gets here; the 403 page then gives the service's own reason.
                return render(request, "403.html", {"reason": str(refusal)}, status=403)
            else:
                messages.success(request, message)
                return HttpResponseRedirect(_detail_url(programme_id, shown))
        bound[action] = form

    own = result.submitted_by_id == request.user.pk
    reviewed = any(r.reviewer_id == request.user.pk for r in review_list(result=result))
    allowed = {
        "verify": access.allows(Action.RESULT_VERIFY)
        and state == ResultState.SUBMITTED
        and not own,
        "amend": access.allows(Action.RESULT_AMEND) and state == ResultState.VERIFIED,
        "review": access.allows(Action.RESULT_ACCEPT)
        and state == ResultState.VERIFIED
        and not reviewed,
        # Evidence supports a submission awaiting its decision, from its submitter
        # (outcomes.evidence.evidence_attach keeps the same rule).
        "evidence": access.allows(Action.RESULT_SUBMIT) and state == ResultState.SUBMITTED and own,
    }
    initial_amend = {
        "stage": result.stage,
        "value": _plain(result.value),
        "comparison_value": _plain(result.comparison_value),
        "sample_size": result.sample_size,
        "comparison_sample_size": result.comparison_sample_size,
    }
    page_forms = {
        "verify": bound.get("verify") or forms.VerifyForm(prefix="verify"),
        "reject": bound.get("reject") or forms.RejectForm(prefix="reject"),
        "amend": bound.get("amend") or forms.AmendForm(prefix="amend", initial=initial_amend),
        "review": bound.get("review") or forms.ReviewForm(prefix="review"),
        "evidence": bound.get("evidence") or forms.EvidenceForm(prefix="evidence"),
    }
    decision = getattr(result, "decision", None) if state != ResultState.SUBMITTED else None
    # The withdrawal's page shows the payers' figures, so it lives with the money pages.
    withdraw_url = ""
    if access.allows(Action.RESULT_ACCEPT) and state == ResultState.VERIFIED:
        dispute = dispute_to_withdraw(result=result, user=request.user)
        if (
            dispute is not None
            and not hasattr(dispute, "withdrawal")
            and may_withdraw(review=dispute, user=request.user)
        ):
            withdraw_url = reverse(
                "payments_portal:dispute-withdraw", args=[programme_id, result.pk]
            )
    reviews = [
        {
            "review": r,
            "verdict": label(VERDICT_LABELS, r.verdict),
            "withdrawal": getattr(r, "withdrawal", None),
        }
        for r in review_list(result=result)
    ]
    return render(
        request,
        "outcomes/portal/result_detail.html",
        programme_context(
            access,
            row=result_rows([result], access)[0],
            result=result,
            own=own,
            own_submitted=own
            and state == ResultState.SUBMITTED
            and access.allows(Action.RESULT_VERIFY),
            allowed=allowed,
            forms=page_forms,
            decision=decision,
            reviews=reviews,
            withdraw_url=withdraw_url,
            evidence=evidence_list(result=result) if access.allows(Action.RESULT_VIEW) else [],
            # Before the decision: the cell's verified results and what verifying would pay.
            **(
                before_verification(access=access, result=result)
                if state == ResultState.SUBMITTED and access.allows(Action.RESULT_VIEW)
                else {"in_cell": [], "previews": []}
            ),
        ),
    )
