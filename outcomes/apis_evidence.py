"""API: download a result's evidence document (who may: see outcomes.evidence_files)."""

from django.http import Http404, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request

from outcomes.evidence_files import evidence_get, evidence_intact
from outcomes.models import Evidence
from outcomes.portal.evidence import altered_message, evidence_response
from sib.api.problems import problem_response
from sib.api.scoped import ProgrammeApi
from sib.permissions import Action


class EvidenceDownloadApi(ProgrammeApi):
    action_required = Action.RESULT_VIEW

    @extend_schema(
        operation_id="result_evidence_download",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The document as attached, with `Repr-Digest: sha-256=:…:`.",
            ),
        },
        description="Evaluators, lead evaluators and the fund manager download a result's "
        "evidence. A stored file that no longer matches its recorded SHA-256 is not served "
        "(409).",
    )
    def get(
        self, request: Request, programme_id: int, result_id: int, evidence_id: int
    ) -> HttpResponseBase:
        access = self.access(request, programme_id)
        try:
            evidence = evidence_get(
                programme=access.programme, result_id=result_id, evidence_id=evidence_id
            )
        except Evidence.DoesNotExist:
            raise Http404 from None
        if not evidence_intact(evidence=evidence):
            return problem_response(
                status_code=409,
                title=altered_message(),
                instance=request.get_full_path(),
                extra={"code": "evidence_altered"},
            )
        return evidence_response(evidence)
