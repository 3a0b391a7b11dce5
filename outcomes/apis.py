"""API for outcome definitions, results, their import and their verification.

One class per operation. Every view resolves its programme through sib.scoping (404 for
a programme the user has no role on, 403 for a role without the right). Public funders
see verified results only and never participant records.
"""

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from outcomes import evidence, selectors, services
from outcomes.csv_import import results_import
from outcomes.csv_reading import MAX_REPORTED, ImportRejected
from outcomes.models import (
    Cohort,
    Direction,
    MeasurementPeriod,
    Metric,
    ParticipantRecord,
    Result,
    ResultState,
    ReviewVerdict,
    Stage,
    Unit,
)
from sib.api.fields import CountField, MoneyField, TextField
from sib.api.pagination import AppendOnlyCursorPagination
from sib.api.problems import problem_response
from sib.api.scoped import ProgrammeApi
from sib.api.throttling import ScopedThrottle
from sib.bounds import MAX_CODE_CHARS
from sib.models import User
from sib.permissions import Action
from sib.scoping import ProgrammeAccess


def _user(request: Request) -> User:
    # Every API here requires authentication (IsAuthenticated), so this is a User.
    return cast(User, request.user)


# --- Definitions ---------------------------------------------------------------------------


class CohortOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cohort
        fields = ["id", "code", "name", "planned_size", "start_date"]


class PeriodOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeasurementPeriod
        fields = ["id", "code", "name", "start_date", "end_date"]


class MetricOutputSerializer(serializers.ModelSerializer):
    cohorts = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)  # type: ignore[var-annotated]
    periods = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = Metric
        fields = [
            "id",
            "code",
            "name",
            "definition",
            "unit",
            "direction",
            "evidence_required",
            "mechanism",
            "max_count",
            "max_amount",
            "target_value",
            "cohorts",
            "periods",
        ]


class CohortListApi(ProgrammeApi):
    @extend_schema(operation_id="cohort_list", responses=CohortOutputSerializer(many=True))
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        cohorts = selectors.cohort_list(programme=access.programme)
        return Response(CohortOutputSerializer(cohorts, many=True).data)


class CohortCreateApi(ProgrammeApi):
    action_required = Action.PROGRAMME_MANAGE

    class InputSerializer(serializers.Serializer):
        code = serializers.SlugField(max_length=40)
        name = serializers.CharField(max_length=200)
        planned_size = CountField(required=False, allow_null=True)
        start_date = serializers.DateField(required=False, allow_null=True)

    @extend_schema(
        operation_id="cohort_create",
        request=InputSerializer,
        responses={201: CohortOutputSerializer},
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cohort = services.cohort_create(programme=access.programme, **data.validated_data)
        return Response(CohortOutputSerializer(cohort).data, status=status.HTTP_201_CREATED)


class PeriodListApi(ProgrammeApi):
    @extend_schema(operation_id="period_list", responses=PeriodOutputSerializer(many=True))
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        periods = selectors.period_list(programme=access.programme)
        return Response(PeriodOutputSerializer(periods, many=True).data)


class PeriodCreateApi(ProgrammeApi):
    action_required = Action.PROGRAMME_MANAGE

    class InputSerializer(serializers.Serializer):
        code = serializers.SlugField(max_length=40)
        name = serializers.CharField(max_length=200)
        start_date = serializers.DateField()
        end_date = serializers.DateField()

    @extend_schema(
        operation_id="period_create",
        request=InputSerializer,
        responses={201: PeriodOutputSerializer},
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        period = services.period_create(programme=access.programme, **data.validated_data)
        return Response(PeriodOutputSerializer(period).data, status=status.HTTP_201_CREATED)


class MetricListApi(ProgrammeApi):
    @extend_schema(operation_id="metric_list", responses=MetricOutputSerializer(many=True))
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        metrics = selectors.metric_list(programme=access.programme)
        return Response(MetricOutputSerializer(metrics, many=True).data)


class MetricCreateApi(ProgrammeApi):
    action_required = Action.PROGRAMME_MANAGE

    class InputSerializer(serializers.Serializer):
        code = serializers.SlugField(max_length=40)
        name = serializers.CharField(max_length=200)
        definition = TextField()
        unit = serializers.ChoiceField(choices=Unit.choices)
        direction = serializers.ChoiceField(
            choices=Direction.choices, default=Direction.HIGHER_IS_BETTER
        )
        evidence_required = TextField(required=False, allow_blank=True, default="")
        mechanism = serializers.JSONField(help_text="See outcomes.mechanisms: kind and its rule.")
        max_count = CountField(required=False, allow_null=True)
        max_amount = MoneyField(required=False, allow_null=True)
        target_value = serializers.DecimalField(
            max_digits=20, decimal_places=6, required=False, allow_null=True
        )
        cohorts = serializers.ListField(
            child=serializers.CharField(max_length=MAX_CODE_CHARS),
            allow_empty=False,
            max_length=1000,
        )
        periods = serializers.ListField(
            child=serializers.CharField(max_length=MAX_CODE_CHARS),
            allow_empty=False,
            max_length=1000,
        )

    @extend_schema(
        operation_id="metric_create",
        request=InputSerializer,
        responses={201: MetricOutputSerializer},
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        metric = services.metric_create(programme=access.programme, **data.validated_data)
        return Response(MetricOutputSerializer(metric).data, status=status.HTTP_201_CREATED)


# --- Results -------------------------------------------------------------------------------


class ResultOutputSerializer(serializers.ModelSerializer):
    metric = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    cohort = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    period = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    state = serializers.CharField(read_only=True)
    disputed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Result
        fields = [
            "id",
            "metric",
            "cohort",
            "period",
            "stage",
            "value",
            "comparison_value",
            "sample_size",
            "comparison_sample_size",
            "note",
            "amends",
            "amendment_reason",
            "from_participants",
            "submitted_by",
            "submitted_at",
            "state",
            "disputed",
        ]


class DecisionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    result = serializers.IntegerField(source="result_id")
    decision = serializers.CharField()
    decided_by = serializers.IntegerField(source="decided_by_id")
    comment = serializers.CharField()
    decided_at = serializers.DateTimeField()


class ReviewOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    result = serializers.IntegerField(source="result_id")
    verdict = serializers.CharField()
    reviewer = serializers.IntegerField(source="reviewer_id")
    comment = serializers.CharField()
    reviewed_at = serializers.DateTimeField()


class _ResultValuesSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=20, decimal_places=6, min_value=0)
    comparison_value = serializers.DecimalField(
        max_digits=20, decimal_places=6, min_value=0, required=False, allow_null=True
    )
    sample_size = CountField(required=False, allow_null=True)
    comparison_sample_size = CountField(required=False, allow_null=True)
    note = TextField(required=False, allow_blank=True, default="")
    over_planned_size = serializers.BooleanField(
        default=False,
        help_text="Declare a count above 1.5 times the cohort's planned size; the note says "
        "why (docs/results-csv.md, Plausibility).",
    )


def _values(data: dict[str, Any]) -> services.ResultValues:
    return services.ResultValues(
        value=data["value"],
        comparison_value=data.get("comparison_value"),
        sample_size=data.get("sample_size"),
        comparison_sample_size=data.get("comparison_sample_size"),
        note=data.get("note", ""),
        over_planned_size=data.get("over_planned_size", False),
    )


class _ResultApi(ProgrammeApi):
    def result(self, access: ProgrammeAccess, result_id: int) -> Result:
        from django.http import Http404

        try:
            result = selectors.result_get(programme=access.programme, result_id=result_id)
        except Result.DoesNotExist:
            raise Http404 from None
        # Funders see verified results only: the others do not exist for them.
        if not access.allows(Action.RESULT_VIEW) and result.state != "verified":  # type: ignore[attr-defined]
            raise Http404
        return result

    def fresh(self, access: ProgrammeAccess, result_id: int) -> dict[str, Any]:
        return ResultOutputSerializer(self.result(access, result_id)).data


class ResultListApi(ProgrammeApi):
    action_required = Action.OUTCOME_VIEW
    pagination_class = AppendOnlyCursorPagination  # insert-only: keyset pages, no COUNT(*)

    class FilterSerializer(serializers.Serializer):
        # An unknown state is a 400, not an empty list that reads as "nothing submitted".
        state = serializers.ChoiceField(choices=ResultState.choices, required=False)

    @extend_schema(
        operation_id="result_list",
        parameters=[FilterSerializer],
        responses=ResultOutputSerializer(many=True),
        description="Evaluators and fund managers see every state; public funders see "
        "verified results only. Filter with ?state=submitted|verified|rejected|superseded.",
    )
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        results = selectors.result_list(
            programme=access.programme,
            verified_only=not access.allows(Action.RESULT_VIEW),
            state=filters.validated_data.get("state") or None,
        )
        return self.paginate(request, results, ResultOutputSerializer)


class ResultDetailApi(_ResultApi):
    action_required = Action.OUTCOME_VIEW

    @extend_schema(operation_id="result_retrieve", responses=ResultOutputSerializer)
    def get(self, request: Request, programme_id: int, result_id: int) -> Response:
        access = self.access(request, programme_id)
        return Response(self.fresh(access, result_id))


class ResultSubmitApi(ProgrammeApi):
    action_required = Action.RESULT_SUBMIT

    class InputSerializer(_ResultValuesSerializer):
        metric = serializers.CharField(max_length=MAX_CODE_CHARS)
        cohort = serializers.CharField(max_length=MAX_CODE_CHARS)
        period = serializers.CharField(max_length=MAX_CODE_CHARS)
        stage = serializers.ChoiceField(choices=Stage.choices)

    @extend_schema(
        operation_id="result_submit",
        request=InputSerializer,
        responses={201: ResultOutputSerializer},
    )
    def post(self, request: Request, programme_id: int) -> Response:
        from django.core.exceptions import ValidationError

        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refs: dict[str, Any] = {}
        for name, model in (("metric", Metric), ("cohort", Cohort), ("period", MeasurementPeriod)):
            try:
                refs[name] = model.objects.get(
                    programme=access.programme, code=data.validated_data[name]
                )
            except model.DoesNotExist:
                raise ValidationError(
                    {name: f"Unknown {name} {data.validated_data[name]!r}."}
                ) from None
        result = services.result_submit(
            programme=access.programme,
            user=_user(request),
            stage=data.validated_data["stage"],
            values=_values(data.validated_data),
            **refs,
        )
        body = ResultOutputSerializer(
            selectors.result_get(programme=access.programme, result_id=result.pk)
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class ResultVerifyApi(_ResultApi):
    action_required = Action.RESULT_VERIFY
    throttle_classes = [ScopedThrottle]
    throttle_scope = "verify"

    class InputSerializer(serializers.Serializer):
        comment = TextField(required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="result_verify",
        request=InputSerializer,
        responses={201: DecisionOutputSerializer},
        description="Four eyes: a lead evaluator other than the submitter. 409 if already decided.",
    )
    def post(self, request: Request, programme_id: int, result_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.result_verify(
            result=self.result(access, result_id), user=_user(request), **data.validated_data
        )
        return Response(DecisionOutputSerializer(decision).data, status=status.HTTP_201_CREATED)


class ResultRejectApi(_ResultApi):
    action_required = Action.RESULT_VERIFY

    class InputSerializer(serializers.Serializer):
        comment = TextField()

    @extend_schema(
        operation_id="result_reject",
        request=InputSerializer,
        responses={201: DecisionOutputSerializer},
    )
    def post(self, request: Request, programme_id: int, result_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.result_reject(
            result=self.result(access, result_id), user=_user(request), **data.validated_data
        )
        return Response(DecisionOutputSerializer(decision).data, status=status.HTTP_201_CREATED)


class ResultAmendApi(_ResultApi):
    action_required = Action.RESULT_AMEND

    class InputSerializer(_ResultValuesSerializer):
        reason = TextField()
        stage = serializers.ChoiceField(choices=Stage.choices, required=False)

    @extend_schema(
        operation_id="result_amend",
        request=InputSerializer,
        responses={201: ResultOutputSerializer},
        description="Submit a correction of a verified result, with a reason; it supersedes "
        "the result once another lead evaluator verifies it.",
    )
    def post(self, request: Request, programme_id: int, result_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amendment = services.result_amend(
            result=self.result(access, result_id),
            user=_user(request),
            reason=data.validated_data["reason"],
            stage=data.validated_data.get("stage"),
            values=_values(data.validated_data),
        )
        return Response(self.fresh(access, amendment.pk), status=status.HTTP_201_CREATED)


class ResultReviewApi(_ResultApi):
    action_required = Action.RESULT_ACCEPT

    class InputSerializer(serializers.Serializer):
        verdict = serializers.ChoiceField(choices=ReviewVerdict.choices)
        comment = TextField(required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="result_review",
        request=InputSerializer,
        responses={201: ReviewOutputSerializer},
        description="A public funder accepts or disputes (with a comment) a verified result.",
    )
    def post(self, request: Request, programme_id: int, result_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.result_review(
            result=self.result(access, result_id), user=_user(request), **data.validated_data
        )
        return Response(ReviewOutputSerializer(review).data, status=status.HTTP_201_CREATED)


class EvidenceUploadApi(_ResultApi):
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
            user=_user(request),
            uploaded=data.validated_data["file"],
        )
        return Response(self.OutputSerializer(attached).data, status=status.HTTP_201_CREATED)


class ResultImportApi(ProgrammeApi):
    action_required = Action.RESULT_SUBMIT
    throttle_classes = [ScopedThrottle]
    throttle_scope = "imports"
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
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

    class OutputSerializer(serializers.Serializer):
        kind = serializers.CharField()
        rows = serializers.IntegerField()
        batch_id = serializers.IntegerField()
        result_ids = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(
        operation_id="results_import",
        request={"multipart/form-data": InputSerializer},
        responses={201: OutputSerializer},
        description="All or nothing. A refused file answers 400 with every bad row "
        f"(line, column, rule), the first {MAX_REPORTED} of them, and `error_count`.",
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            summary = results_import(
                programme=access.programme,
                user=_user(request),
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


class ParticipantRecordListApi(ProgrammeApi):
    pagination_class = AppendOnlyCursorPagination  # millions of rows: keyset, no COUNT(*)
    action_required = Action.PARTICIPANT_VIEW

    class OutputSerializer(serializers.ModelSerializer):
        metric = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
        cohort = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
        period = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]

        class Meta:
            model = ParticipantRecord
            fields = ["id", "result", "metric", "cohort", "period", "pseudonym", "achieved_on"]

    @extend_schema(operation_id="participant_record_list", responses=OutputSerializer(many=True))
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        records = selectors.participant_record_list(programme=access.programme)
        return self.paginate(request, records, self.OutputSerializer)
