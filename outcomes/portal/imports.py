"""The portal's results CSV import: upload and check, see the preview, confirm.

Upload: the whole file is checked as its import would check it, nothing is written
(outcomes.import_checks); a refused file lists every bad row, a valid one shows what it
would make (outcomes.portal.import_previews) and a button to confirm it. Confirm: the
file checked, and only it (its job and SHA-256), is imported through the import job, which
checks it again; a second confirmation, another user's file or a changed one is refused.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from outcomes import selectors
from outcomes.csv_reading import ImportRejected
from outcomes.import_checks import import_check, import_check_confirm
from outcomes.import_jobs import import_job_run
from outcomes.models import ImportJobStatus
from outcomes.portal import forms
from outcomes.portal.import_previews import import_inspector
from outcomes.portal.labels import IMPORT_RULE_LABELS
from outcomes.portal.views import result_rows
from sib.exceptions import ApplicationError
from sib.permissions import Action
from sib.portal.labels import label
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import programme_access

PAGE = "outcomes/portal/result_import.html"


def _errors(errors: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """Return the page context listing a refused file's rows (line, column, rule)."""
    return {
        "errors": [
            {
                "line": e["line"],
                "column": e["column"],
                "rule": label(IMPORT_RULE_LABELS, e["rule"]),
                "code": e["rule"],
                "message": e["message"],
            }
            for e in errors
        ],
        "error_total": total,
    }


@login_required
def result_import(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.RESULT_SUBMIT
    )
    form = forms.ResultImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "errors": None, "imported": None}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job, preview = import_check(
                programme=access.programme,
                user=request.user,
                stream=upload.file,
                inspect=import_inspector(access),
                filename=upload.name or "",
                decimal_comma=form.cleaned_data["decimal_comma"],
                stage=form.cleaned_data["stage"],
                over_planned_size=form.cleaned_data["over_planned_size"],
            )
        except ImportRejected as rejected:
            context.update(_errors([e.as_dict() for e in rejected.errors], rejected.total))
        else:
            confirm = forms.ImportConfirmForm(initial={"job": job.pk, "sha256": job.sha256})
            return render(
                request,
                "outcomes/portal/result_import_check.html",
                programme_context(access, job=job, preview=preview, confirm=confirm),
            )
    return render(request, PAGE, programme_context(access, **context))


@login_required
def result_import_confirm(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.RESULT_SUBMIT
    )
    if request.method != "POST":  # after the access check: a stranger gets 404, not 405
        return HttpResponseNotAllowed(["POST"])
    again = HttpResponseRedirect(
        reverse("outcomes_portal:result-import", kwargs={"programme_id": programme_id})
    )
    form = forms.ImportConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This is not a file checked here: upload it again."))
        return again
    try:
        job = import_check_confirm(
            programme=access.programme,
            user=request.user,
            job_id=form.cleaned_data["job"],
            sha256=form.cleaned_data["sha256"],
        )
    except ApplicationError as refusal:
        messages.error(request, str(refusal))
        return again
    # The worker would run the same job from the outbox message; running it here shows
    # the outcome at once, and whichever comes second finds the job finished.
    job = import_job_run(job_id=job.pk)
    context: dict[str, Any] = {"form": forms.ResultImportForm(), "errors": None}
    if job.status == ImportJobStatus.REFUSED:
        # What changed since the check (another import into a cell) refuses it now.
        context.update(_errors(job.errors, job.error_count))
    else:
        made = selectors.result_list(programme=access.programme).filter(batch_id=job.batch_id)
        count = job.batch.rows if job.batch else 0
        messages.success(
            request,
            ngettext("%(count)d record imported.", "%(count)d records imported.", count)
            % {"count": count},
        )
        context["imported"] = result_rows(made.order_by("id"), access)
    return render(request, PAGE, programme_context(access, **context))
