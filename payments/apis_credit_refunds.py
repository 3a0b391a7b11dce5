"""API for a credit refunded to a payer (payments.credit_refunds): part or all of the
credit a restatement below what it paid left it, paid back. An Idempotency-Key, as every
ledger write; reversed through the ledger's reverse endpoint."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from payments.apis import IDEMPOTENCY_PARAMETER, REVERSE_LINKS, _actor, _ledger_write
from payments.credit_refunds import credit_refund_record
from payments.serializers import TransactionOutputSerializer
from sib.api.fields import MoneyField
from sib.api.scoped import ProgrammeApi
from sib.models import Organisation
from sib.permissions import Action


class CreditRefundCreateApi(ProgrammeApi):
    class InputSerializer(serializers.Serializer):
        payer = serializers.SlugField(help_text="The outcome payer the credit is owed to.")
        refunded_on = serializers.DateField()
        amount = MoneyField(
            min_value=1, help_text="At most the payer's credit, now and on `refunded_on`."
        )
        reason = serializers.CharField(max_length=500)

    response_links = REVERSE_LINKS

    @extend_schema(
        operation_id="credit_refund_create",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: TransactionOutputSerializer, 200: TransactionOutputSerializer},
        description="Pay back part or all of the credit a payer holds (docs/ledger.md, "
        '"Credit refunds"): Dr its receivable, Cr cash.',
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, Action.PAYMENT_RECORD)

        def perform(key: str) -> tuple[int, Any]:
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            payer = Organisation.objects.filter(slug=values["payer"]).first()
            if payer is None:
                raise serializers.ValidationError(
                    {"payer": _("No organisation %(slug)s.") % {"slug": values["payer"]}}
                )
            tx = credit_refund_record(
                programme=access.programme,
                payer=payer,
                amount=values["amount"],
                refunded_on=values["refunded_on"],
                reason=values["reason"],
                actor=_actor(request),
                idempotency_key=key,
            )
            return status.HTTP_201_CREATED, TransactionOutputSerializer(tx).data

        return _ledger_write(request, access, "credit_refund_create", perform)
