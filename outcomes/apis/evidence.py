"""API for a result's evidence: attach a document, download one.

Who may download: see outcomes.evidence_files.
"""

from django.http import Http404, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from outcomes import evidence
from outcomes.apis.results import ResultApi
from outcomes.evidence_files import evidence_get, evidence_intact
from outcomes.models import Evidence
from outcomes.portal.evidence import altered_message, evidence_response
from sib.api.problems import problem_response
from sib.api.schema import RETURNED_ID, SAME_PROGRAMME, link
from sib.api.scoped import ProgrammeApi, request_user
from sib.permissions import Action


class EvidenceUploadApi(ResultApi):
    action_required = Action.RESULT_SUBMIT
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        result = serializers.IntegerField(source="result_id")
        original_name = serializers.CharField()
        content_type = serializers.CharField()
        size = serializers.IntegerField()
        sha256 = serializers.CharField()
        uploaded_at = serializers.DateTimeField()

    response_links = {
        "Download": link(
            "result_evidence_download",
            programme_id=SAME_PROGRAMME,
            result_id="$request.path.result_id",
            evidence_id=RETURNED_ID,
        ),
    }

    @extend_schema(
        operation_id="result_evidence_upload",
        request={"multipart/form-data": InputSerializer},
        responses={201: OutputSerializer},
    )
    def post(self, request: Request, programme_id: int, result_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attached = evidence.evidence_attach(
            result=self.result(access, result_id),
            user=request_user(request),
            uploaded=data.validated_data["file"],
        )
        return Response(self.OutputSerializer(attached).data, status=status.HTTP_201_CREATED)


class EvidenceDownloadApi(ProgrammeApi):
    action_required = Action.RESULT_VIEW
    read_conflicts = True  # 409 for a stored file that no longer matches its SHA-256

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
