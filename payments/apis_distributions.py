"""API for what leaves and enters the programme outside payer payments: distributions
(proposed vs recorded) and guarantee calls and payments. Every write takes an
Idempotency-Key, as the other ledger writes (payments/apis.py)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from payments.apis import IDEMPOTENCY_PARAMETER, REVERSE_LINKS, _actor, _ledger_write
from payments.distributions import PaidOut, distribution_record
from payments.guarantees import guarantee_call_record, guarantee_payment_record
from payments.models import Commitment
from payments.position import distributions_compared
from payments.serializers import TransactionOutputSerializer
from sib.api.fields import MoneyField
from sib.api.scoped import ProgrammeApi
from sib.permissions import Action
from sib.scoping import ProgrammeAccess


class DistributionRecordApi(ProgrammeApi):
    action_required = Action.PAYMENT_RECORD

    class InputSerializer(serializers.Serializer):
        class LineSerializer(serializers.Serializer):
            step_kind = serializers.CharField()
            recipient = serializers.CharField()
            tranche = serializers.CharField(required=False, allow_null=True, default=None)
            amount = MoneyField(min_value=1, help_text="Minor units.")

        paid_on = serializers.DateField()
        lines = LineSerializer(many=True)
        reason = serializers.CharField(
            max_length=2000,
            required=False,
            default="",
            help_text="Required when the lines differ from the schedule's proposal.",
        )

    response_links = REVERSE_LINKS

    @extend_schema(
        operation_id="distribution_record",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: TransactionOutputSerializer, 200: TransactionOutputSerializer},
        description="Post what was actually distributed on one payment date. It may differ "
        "from the schedule's proposal (GET distributions/), with a reason; refused above "
        "the programme's cash, to unknown recipients, outside the contract, or a second "
        "time for the same date unless the first was reversed.",
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)

        def perform(key: str) -> tuple[int, Any]:
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values: dict[str, Any] = data.validated_data
            tx = distribution_record(
                programme=access.programme,
                paid_on=values["paid_on"],
                lines=[PaidOut(**line) for line in values["lines"]],
                reason=values["reason"],
                actor=_actor(request),
                idempotency_key=key,
            )
            return status.HTTP_201_CREATED, TransactionOutputSerializer(tx).data

        return _ledger_write(request, access, "distribution_record", perform)


class DistributionComparedApi(ProgrammeApi):
    action_required = Action.SCHEDULE_RUN

    class OutputSerializer(serializers.Serializer):
        on = serializers.DateField()
        step_kind = serializers.CharField()
        tranche = serializers.CharField(allow_null=True)
        recipient = serializers.CharField()
        proposed = serializers.IntegerField()
        recorded = serializers.IntegerField()
        difference = serializers.IntegerField()

    @extend_schema(
        operation_id="distribution_compared_list",
        responses=OutputSerializer(many=True),
        description="Per payment date and waterfall line: proposed by the actual schedule, "
        "recorded in the ledger, and the difference (recorded - proposed).",
    )
    def get(self, request: Request, programme_id: int) -> Response:
        lines = distributions_compared(programme=self.access(request, programme_id).programme)
        return Response(self.OutputSerializer(lines, many=True).data)


def _guarantee_commitment(access: ProgrammeAccess, pk: int) -> Commitment:
    commitment = (
        Commitment.objects.filter(programme=access.programme, pk=pk)
        .select_related("tranche", "investor", "programme")
        .first()
    )
    if commitment is None:
        raise serializers.ValidationError({"commitment": "No such commitment here."})
    return commitment


class GuaranteeCallCreateApi(ProgrammeApi):
    action_required = Action.PAYMENT_RECORD

    class InputSerializer(serializers.Serializer):
        commitment = serializers.IntegerField(help_text="The guarantee commitment's id.")
        called_on = serializers.DateField()
        amount = MoneyField(min_value=1, help_text="Minor units (cents).")
        reason = serializers.CharField(max_length=2000)

    response_links = REVERSE_LINKS

    @extend_schema(
        operation_id="guarantee_call_create",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: TransactionOutputSerializer, 200: TransactionOutputSerializer},
        description="Call a guarantee: at most its cover less what is called already.",
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)

        def perform(key: str) -> tuple[int, Any]:
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            tx = guarantee_call_record(
                commitment=_guarantee_commitment(access, values["commitment"]),
                amount=values["amount"],
                called_on=values["called_on"],
                reason=values["reason"],
                actor=_actor(request),
                idempotency_key=key,
            )
            return status.HTTP_201_CREATED, TransactionOutputSerializer(tx).data

        return _ledger_write(request, access, "guarantee_call_create", perform)


class GuaranteePaymentCreateApi(ProgrammeApi):
    action_required = Action.PAYMENT_RECORD

    class InputSerializer(serializers.Serializer):
        commitment = serializers.IntegerField(help_text="The guarantee commitment's id.")
        received_on = serializers.DateField()
        amount = MoneyField(min_value=1, help_text="Minor units (cents).")

    response_links = REVERSE_LINKS

    @extend_schema(
        operation_id="guarantee_payment_create",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: TransactionOutputSerializer, 200: TransactionOutputSerializer},
        description="Record what a guarantor paid: at most what is called and not yet paid.",
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)

        def perform(key: str) -> tuple[int, Any]:
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            tx = guarantee_payment_record(
                commitment=_guarantee_commitment(access, values["commitment"]),
                amount=values["amount"],
                received_on=values["received_on"],
                actor=_actor(request),
                idempotency_key=key,
            )
            return status.HTTP_201_CREATED, TransactionOutputSerializer(tx).data

        return _ledger_write(request, access, "guarantee_payment_create", perform)
