"""API for outcome definitions: a programme's cohorts, measurement periods and metrics."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from outcomes import selectors, services
from outcomes.models import Cohort, Direction, MeasurementPeriod, Metric, Unit
from sib.api.fields import CountField, MoneyField, TextField
from sib.api.scoped import ProgrammeApi
from sib.bounds import MAX_CODE_CHARS
from sib.permissions import Action


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
