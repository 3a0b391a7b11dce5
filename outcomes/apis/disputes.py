"""API for ending a dispute: the funder who raised it (or one of the same payer) withdraws it."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from outcomes.apis.results import ResultApi
from outcomes.disputes import dispute_to_withdraw, dispute_withdraw
from sib.api.fields import TextField
from sib.api.scoped import request_user
from sib.exceptions import Conflict
from sib.permissions import Action


class WithdrawalOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    review = serializers.IntegerField(source="review_id")
    result = serializers.IntegerField(source="review.result_id")
    withdrawn_by = serializers.IntegerField(source="withdrawn_by_id")
    reason = serializers.CharField()
    withdrawn_at = serializers.DateTimeField()


class DisputeWithdrawApi(ResultApi):
    action_required = Action.RESULT_ACCEPT

    class InputSerializer(serializers.Serializer):
        reason = TextField()

    @extend_schema(
        operation_id="result_dispute_withdraw",
        request=InputSerializer,
        responses={201: WithdrawalOutputSerializer},
        description="A public funder withdraws the dispute it raised on a verified result "
        "(or one raised by a funder of the same payer), with a reason: the payer's held "
        "share is due again. 409 when the result is not disputed or the dispute is already "
        "withdrawn or resolved.",
    )
    def post(self, request: Request, programme_id: int, result_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request_user(request)
        review = dispute_to_withdraw(result=self.result(access, result_id), user=user)
        if review is None:
            raise Conflict(_("This result is not disputed."), code="not_disputed")
        withdrawal = dispute_withdraw(
            review=review, user=user, reason=data.validated_data["reason"]
        )
        return Response(WithdrawalOutputSerializer(withdrawal).data, status=status.HTTP_201_CREATED)
