"""API for a joint payment received: one payment from one party that settles the dues of
several payers (payments.joint_payments). An Idempotency-Key, as every ledger write."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from payments.apis import IDEMPOTENCY_PARAMETER, REVERSE_LINKS, _actor, _ledger_write
from payments.joint_payments import JointPart, joint_payment_record
from payments.serializers import TransactionOutputSerializer
from sib.api.fields import MoneyField
from sib.api.scoped import ProgrammeApi
from sib.models import Organisation
from sib.permissions import Action


def _organisations(slugs: dict[str, str]) -> dict[str, Organisation]:
    """Return field -> organisation for each field's slug; refuse, by field, a slug unknown."""
    found = {o.slug: o for o in Organisation.objects.filter(slug__in=set(slugs.values()))}
    missing = {
        field: _("No organisation %(slug)s among this programme's parties.") % {"slug": slug}
        for field, slug in slugs.items()
        if slug not in found
    }
    if missing:
        raise ValidationError(missing)
    return {field: found[slug] for field, slug in slugs.items()}


class JointPaymentReceivedCreateApi(ProgrammeApi):
    class InputSerializer(serializers.Serializer):
        class PartSerializer(serializers.Serializer):
            payer = serializers.SlugField(help_text="An outcome payer whose dues this settles.")
            amount = MoneyField(
                min_value=1,
                required=False,
                allow_null=True,
                default=None,
                help_text="Minor units; give it for every part or for none (then the total "
                "is allocated in proportion to what each payer owes now).",
            )

        paid_by = serializers.SlugField(help_text="The outcome payer that sent the payment.")
        received_on = serializers.DateField()
        amount = MoneyField(
            min_value=1,
            required=False,
            allow_null=True,
            default=None,
            help_text="The total received; required when the parts are allocated, else "
            "the sum of the parts.",
        )
        settles = PartSerializer(many=True, allow_empty=False)
        description = serializers.CharField(max_length=500, required=False, default="")

    response_links = REVERSE_LINKS

    @extend_schema(
        operation_id="joint_payment_received_create",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: TransactionOutputSerializer, 200: TransactionOutputSerializer},
        description="One payment from `paid_by` that settles the dues of each payer in "
        "`settles`: one transaction, Dr cash the total, Cr each payer's receivable its "
        "part. Each part is refused above what its payer owes now; all or nothing.",
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, Action.PAYMENT_RECORD)

        def perform(key: str) -> tuple[int, Any]:
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            slugs = {"paid_by": values["paid_by"]} | {
                f"settles[{i}].payer": part["payer"] for i, part in enumerate(values["settles"])
            }
            found = _organisations(slugs)
            tx = joint_payment_record(
                programme=access.programme,
                paid_by=found["paid_by"],
                parts=[
                    JointPart(found[f"settles[{i}].payer"], part["amount"])
                    for i, part in enumerate(values["settles"])
                ],
                amount=values["amount"],
                received_on=values["received_on"],
                description=values["description"],
                actor=_actor(request),
                idempotency_key=key,
            )
            return status.HTTP_201_CREATED, TransactionOutputSerializer(tx).data

        return _ledger_write(request, access, "joint_payment_received_create", perform)
