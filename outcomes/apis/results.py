"""API for results: list, read, submit, and the four-eyes decisions and reviews on one.

`ResultApi` is the base of every view on one result: a public funder sees verified
results only, so any other is a 404 for them.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from outcomes import selectors, services
from outcomes.models import (
    Cohort,
    MeasurementPeriod,
    Metric,
    Result,
    ResultState,
    ReviewVerdict,
    Stage,
)
from sib.api.fields import CountField, TextField
from sib.api.pagination import AppendOnlyCursorPagination
from sib.api.schema import RETURNED_ID, SAME_PROGRAMME, link
from sib.api.scoped import ProgrammeApi, request_user
from sib.api.throttling import ScopedThrottle
from sib.bounds import MAX_CODE_CHARS
from sib.permissions import Action
from sib.scoping import ProgrammeAccess

# A submitted (or amended) result is read, decided on, reviewed or amended next.
RESULT_LINKS = {
    "Retrieve": link("result_retrieve", programme_id=SAME_PROGRAMME, result_id=RETURNED_ID),
    "Verify": link("result_verify", programme_id=SAME_PROGRAMME, result_id=RETURNED_ID),
    "Reject": link("result_reject", programme_id=SAME_PROGRAMME, result_id=RETURNED_ID),
    "Review": link("result_review", programme_id=SAME_PROGRAMME, result_id=RETURNED_ID),
    "Amend": link("result_amend", programme_id=SAME_PROGRAMME, result_id=RETURNED_ID),
}
# A decision names its result.
DECISION_LINKS = {
    "Result": link(
        "result_retrieve", programme_id=SAME_PROGRAMME, result_id="$response.body#/result"
    ),
}


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
            "additional",
            "additional_reason",
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
        additional=data.get("additional", False),
        additional_reason=data.get("additional_reason", ""),
    )


class ResultApi(ProgrammeApi):
    def result(self, access: ProgrammeAccess, result_id: int) -> Result:
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
        # A plain dict: in a QueryDict DRF reads `?state=` (empty) as no filter at all.
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        results = selectors.result_list(
            programme=access.programme,
            verified_only=not access.allows(Action.RESULT_VIEW),
            state=filters.validated_data.get("state") or None,
        )
        return self.paginate(request, results, ResultOutputSerializer)


class ResultDetailApi(ResultApi):
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
        additional = serializers.BooleanField(
            default=False,
            help_text="Declare the result additional to the live results of its cell, so "
            "both count; needs additional_reason. Without it a second result for the cell "
            "is refused (409, cell_taken) unless it is a final after interim results "
            "(docs/results-csv.md, Results of one cell).",
        )
        additional_reason = TextField(required=False, allow_blank=True, default="")

    response_links = RESULT_LINKS

    @extend_schema(
        operation_id="result_submit",
        request=InputSerializer,
        responses={201: ResultOutputSerializer},
    )
    def post(self, request: Request, programme_id: int) -> Response:
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
            user=request_user(request),
            stage=data.validated_data["stage"],
            values=_values(data.validated_data),
            **refs,
        )
        body = ResultOutputSerializer(
            selectors.result_get(programme=access.programme, result_id=result.pk)
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class ResultVerifyApi(ResultApi):
    action_required = Action.RESULT_VERIFY
    throttle_classes = [ScopedThrottle]
    throttle_scope = "verify"

    class InputSerializer(serializers.Serializer):
        comment = TextField(required=False, allow_blank=True, default="")

    response_links = DECISION_LINKS

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
            result=self.result(access, result_id), user=request_user(request), **data.validated_data
        )
        return Response(DecisionOutputSerializer(decision).data, status=status.HTTP_201_CREATED)


class ResultRejectApi(ResultApi):
    action_required = Action.RESULT_VERIFY

    class InputSerializer(serializers.Serializer):
        comment = TextField()

    response_links = DECISION_LINKS

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
            result=self.result(access, result_id), user=request_user(request), **data.validated_data
        )
        return Response(DecisionOutputSerializer(decision).data, status=status.HTTP_201_CREATED)


class ResultAmendApi(ResultApi):
    action_required = Action.RESULT_AMEND

    class InputSerializer(_ResultValuesSerializer):
        reason = TextField()
        stage = serializers.ChoiceField(choices=Stage.choices, required=False)

    response_links = RESULT_LINKS

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
            user=request_user(request),
            reason=data.validated_data["reason"],
            stage=data.validated_data.get("stage"),
            values=_values(data.validated_data),
        )
        return Response(self.fresh(access, amendment.pk), status=status.HTTP_201_CREATED)


class ResultReviewApi(ResultApi):
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
            result=self.result(access, result_id), user=request_user(request), **data.validated_data
        )
        return Response(ReviewOutputSerializer(review).data, status=status.HTTP_201_CREATED)
