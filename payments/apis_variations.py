"""API for contract variations: list a programme's variations, vary an active programme."""

from typing import cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from payments.models import ProgrammeVariation, VariationKind
from payments.variations import programme_vary
from sib.api.fields import TextField
from sib.api.scoped import ProgrammeApi
from sib.models import User
from sib.permissions import VARIATION_RECORD, VARIATION_VIEW


class VariationOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgrammeVariation
        fields = ["id", "kind", "effective_date", "reason", "parameters", "created_at"]


class VariationListApi(ProgrammeApi):
    @extend_schema(
        operation_id="programme_variation_list",
        responses=VariationOutputSerializer(many=True),
        description="The programme's contract variations: fund managers and public funders.",
    )
    def get(self, request: Request, programme_id: int) -> Response:
        # Whoever sees the payments due sees what changed them (sib.permissions).
        access = self.access(request, programme_id, VARIATION_VIEW)
        return self.paginate(
            request,
            ProgrammeVariation.objects.filter(programme=access.programme).order_by("id"),
            VariationOutputSerializer,
        )


class VariationCreateApi(ProgrammeApi):
    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=VariationKind.choices)
        effective_date = serializers.DateField()
        reason = TextField()
        parameters = serializers.JSONField(
            required=False,
            default=dict,
            help_text=(
                'price_change: {"metric", "price"}; cohort_removed: {"cohort"}; '
                "pause, resume, early_redemption: {}; "
                'grant_payments: {"periods", "amount"} (the grant for each period).'
            ),
        )

    @extend_schema(
        operation_id="programme_variation_create",
        request=InputSerializer,
        responses={201: VariationOutputSerializer},
        description="Vary an active programme's terms from the effective date (chained).",
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, VARIATION_RECORD)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        variation = programme_vary(
            programme=access.programme, actor=cast(User, request.user), **data.validated_data
        )
        return Response(VariationOutputSerializer(variation).data, status=status.HTTP_201_CREATED)
