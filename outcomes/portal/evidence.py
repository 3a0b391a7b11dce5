"""Downloading an evidence document from the portal (and, through `evidence_response`,
from the API): streamed as an attachment with its type and its SHA-256."""

import base64

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from outcomes.evidence_files import evidence_get, evidence_intact, evidence_open
from outcomes.models import Evidence
from sib.permissions import Action
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import programme_access


def evidence_response(evidence: Evidence) -> FileResponse:
    response = FileResponse(
        evidence_open(evidence=evidence),
        as_attachment=True,
        filename=evidence.original_name or f"evidence-{evidence.pk}",
        content_type=evidence.content_type,
    )
    # RFC 9530: the reader can check the bytes received against the recorded digest.
    raw = bytes.fromhex(evidence.sha256)
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(raw).decode()}:"
    response["Cache-Control"] = "private, no-store"
    return response


def altered_message() -> str:
    return _(
        "The stored document no longer matches the SHA-256 recorded when it was attached: "
        "it is not served. Tell the operator; the result's chain entry is unaffected."
    )


@login_required
def evidence_download(
    request: AuthenticatedRequest, programme_id: int, result_id: int, evidence_id: int
) -> HttpResponseBase:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.RESULT_VIEW
    )
    try:
        evidence = evidence_get(
            programme=access.programme, result_id=result_id, evidence_id=evidence_id
        )
    except Evidence.DoesNotExist:
        raise Http404 from None
    if not evidence_intact(evidence=evidence):
        return render(
            request,
            "outcomes/portal/evidence_altered.html",
            programme_context(access, message=altered_message(), evidence=evidence),
            status=409,
        )
    return evidence_response(evidence)
