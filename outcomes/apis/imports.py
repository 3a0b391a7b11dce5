"""API for importing a results file (CSV or spreadsheet): all rows or none."""

from typing import Any

from django.http import QueryDict
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from outcomes.csv_import import results_import
from outcomes.csv_reading import MAX_REPORTED, ImportRejected
from outcomes.import_jobs import import_job_queue
from outcomes.models import ImportJob, Stage
from outcomes.selectors import import_job_get
from sib.api.problems import problem_response
from sib.api.schema import RETURNED_ID, SAME_PROGRAMME, link
from sib.api.scoped import ProgrammeApi, request_user
from sib.api.throttling import ScopedThrottle
from sib.permissions import Action


def form_fields(request: Request) -> dict[str, Any]:
    """Return a multipart body's fields as a plain dict (the last value of each).

    In the QueryDict DRF reads an empty form field as "not given": `stage=` was an interim
    import. From a dict, an absent field still takes its default, an empty one is refused.
    """
    data = request.data
    return data.dict() if isinstance(data, QueryDict) else dict(data)


class ImportInputSerializer(serializers.Serializer):
    # An empty file is ours to report, with the other file errors.
    file = serializers.FileField(allow_empty_file=True)
    decimal_comma = serializers.BooleanField(
        default=False, help_text="Values are written 12,5 (French style)."
    )
    stage = serializers.ChoiceField(
        choices=Stage.choices,
        default=Stage.INTERIM,
        help_text="Stage of the results a participant file creates.",
    )
    over_planned_size = serializers.BooleanField(
        default=False,
        help_text="Declare counts above 1.5 times their cohort's planned size.",
    )


class ResultImportApi(ProgrammeApi):
    action_required = Action.RESULT_SUBMIT
    throttle_classes = [ScopedThrottle]
    throttle_scope = "imports"
    parser_classes = [MultiPartParser]

    class OutputSerializer(serializers.Serializer):
        kind = serializers.CharField()
        rows = serializers.IntegerField()
        batch_id = serializers.IntegerField()
        result_ids = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(
        operation_id="results_import",
        request={"multipart/form-data": ImportInputSerializer},
        responses={201: OutputSerializer},
        description="All or nothing. A refused file answers 400 with every bad row "
        f"(line, column, rule), the first {MAX_REPORTED} of them, and `error_count`.",
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        data = ImportInputSerializer(data=form_fields(request))
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            summary = results_import(
                programme=access.programme,
                user=request_user(request),
                stream=upload.file,
                filename=upload.name or "",
                decimal_comma=data.validated_data["decimal_comma"],
                stage=data.validated_data["stage"],
                over_planned_size=data.validated_data["over_planned_size"],
            )
        except ImportRejected as exc:
            return problem_response(
                status_code=status.HTTP_400_BAD_REQUEST,
                title="The file was refused; nothing was imported.",
                detail=f"{exc.total} error(s) in the file; see errors (first {MAX_REPORTED}).",
                errors=[error.as_dict() for error in exc.errors],
                instance=request.get_full_path(),
                extra={"error_count": exc.total},
            )
        return Response(self.OutputSerializer(summary).data, status=status.HTTP_201_CREATED)


class ImportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="queued, done or refused.")
    filename = serializers.CharField()
    stage = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    batch_id = serializers.IntegerField(allow_null=True, help_text="Once done.")
    error_count = serializers.IntegerField(help_text="Once refused: how many errors in all.")
    # DRF takes declared fields out of the class, so this does not hide `Serializer.errors`.
    errors = serializers.ListField(  # type: ignore[assignment]
        child=serializers.DictField(), help_text=f"Once refused: the first {MAX_REPORTED}."
    )


class ResultImportQueueApi(ProgrammeApi):
    """Hand a large file to the import workers; read the job back for its outcome."""

    action_required = Action.RESULT_SUBMIT
    throttle_classes = [ScopedThrottle]
    throttle_scope = "imports"
    parser_classes = [MultiPartParser]

    response_links = {
        "Job": link("results_import_job", programme_id=SAME_PROGRAMME, job_id=RETURNED_ID),
    }

    @extend_schema(
        operation_id="results_import_queue",
        request={"multipart/form-data": ImportInputSerializer},
        responses={202: ImportJobSerializer},
        description="Queue the file for the import workers (all or nothing, as the inline "
        "import). Answers 202 with the job; `GET .../results/import/jobs/{job_id}/` tells "
        "when it is done (its batch) or refused (its errors).",
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        data = ImportInputSerializer(data=form_fields(request))
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        job = import_job_queue(
            programme=access.programme,
            user=request_user(request),
            stream=upload.file,
            filename=upload.name or "",
            decimal_comma=data.validated_data["decimal_comma"],
            stage=data.validated_data["stage"],
            over_planned_size=data.validated_data["over_planned_size"],
        )
        return Response(_job_data(job), status=status.HTTP_202_ACCEPTED)


class ImportJobDetailApi(ProgrammeApi):
    action_required = Action.RESULT_SUBMIT

    @extend_schema(operation_id="results_import_job", responses={200: ImportJobSerializer})
    def get(self, request: Request, programme_id: int, job_id: int) -> Response:
        access = self.access(request, programme_id)
        return Response(_job_data(import_job_get(programme=access.programme, job_id=job_id)))


def _job_data(job: ImportJob) -> dict:
    return dict(ImportJobSerializer(job).data)
