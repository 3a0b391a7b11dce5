"""API for the money side: tranches, commitments, drawdowns, payments received, the ledger.

Every ledger write takes an Idempotency-Key, unique per programme (sib.api.idempotency).
"""

from typing import Any, cast

from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from payments import selectors, services
from payments.models import CapType, Commitment, LedgerTransaction, Tranche, TrancheKind
from payments.outcome_payments import outcome_payment_receive
from payments.reversals import reversal_action
from payments.serializers import (
    AccountOutputSerializer,
    CommitmentOutputSerializer,
    DrawdownOutputSerializer,
    TrancheOutputSerializer,
    TransactionOutputSerializer,
    transaction_rows,
)
from sib.api.fields import MoneyField
from sib.api.idempotency import HEADER, idempotency_key, idempotent
from sib.api.pagination import AppendOnlyCursorPagination
from sib.api.schema import RETURNED_ID, SAME_PROGRAMME, link
from sib.api.scoped import ProgrammeApi
from sib.chain_verification import chain_verify
from sib.exceptions import Conflict
from sib.models import Organisation, User
from sib.permissions import Action
from sib.privacy import reader_audience
from sib.scoping import ProgrammeAccess

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    location=OpenApiParameter.HEADER,
    required=True,
    description="Client key, unique per programme: a retry with the same key and body "
    "returns the original response; with another body, 409.",
)

# A ledger write answers its transaction, which its reversal names.
REVERSE_LINKS = {
    "Reverse": link(
        "ledger_transaction_reverse", programme_id=SAME_PROGRAMME, transaction_id=RETURNED_ID
    ),
}


def _already_reversed() -> Conflict:
    return Conflict(
        gettext_lazy("This transaction has already been reversed."), code="already_reversed"
    )


def _actor(request: Request) -> User:
    # Every API view requires authentication, so the user is a real one here.
    return cast(User, request.user)


def _ledger_write(
    request: Request, access: ProgrammeAccess, operation: str, perform: Any
) -> Response:
    key = idempotency_key(request)
    assert key is not None
    return idempotent(
        scope=f"programme:{access.programme.pk}",
        key=key,
        operation=operation,
        body=request.data,
        perform=lambda: perform(key),
    )


# --- tranches and commitments -----------------------------------------------------------


class TrancheListApi(ProgrammeApi):
    @extend_schema(operation_id="tranche_list", responses=TrancheOutputSerializer(many=True))
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, Action.PROGRAMME_VIEW)
        return self.paginate(
            request,
            selectors.tranche_list(programme_id=access.programme.pk),
            TrancheOutputSerializer,
        )


class TrancheCreateApi(ProgrammeApi):
    class InputSerializer(serializers.Serializer):
        key = serializers.SlugField(max_length=40)
        name = serializers.CharField(max_length=200)
        kind = serializers.ChoiceField(choices=TrancheKind.choices)
        priority = serializers.IntegerField(min_value=1, max_value=32767)
        cap_type = serializers.ChoiceField(choices=CapType.choices, default=CapType.NONE)
        cap_value = serializers.DecimalField(
            max_digits=12, decimal_places=6, required=False, allow_null=True, default=None
        )
        protects = serializers.SlugField(
            required=False,
            allow_null=True,
            default=None,
            help_text="Key of the tranche a guarantee covers.",
        )
        cover_limit = MoneyField(min_value=1, required=False, allow_null=True, default=None)
        cover_percent = serializers.DecimalField(
            max_digits=7,
            decimal_places=4,
            required=False,
            allow_null=True,
            default=None,
            help_text="Guarantees: percent of the protected tranche's principal loss covered.",
        )
        coupon = serializers.JSONField(
            required=False,
            allow_null=True,
            default=None,
            help_text=(
                "A coupon on principal banded on a measured rate, with no cap: the "
                'programme format\'s "coupon" (docs/programme-format.md, "Coupons").'
            ),
        )
        redemption = serializers.JSONField(
            required=False,
            allow_null=True,
            default=None,
            help_text=(
                "Principal owed back at maturity, in full above a measured rate, else a "
                'floor: the programme format\'s "redemption" (docs/programme-format.md, '
                '"Principal redemption").'
            ),
        )

    @extend_schema(
        operation_id="tranche_create",
        request=InputSerializer,
        responses={201: TrancheOutputSerializer},
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, Action.PROGRAMME_MANAGE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        protects_key = fields.pop("protects")
        protects = None
        if protects_key:
            protects = Tranche.objects.filter(programme=access.programme, key=protects_key).first()
            if protects is None:
                raise serializers.ValidationError({"protects": f"No tranche {protects_key!r}."})
        tranche = services.tranche_create(programme=access.programme, protects=protects, **fields)
        return Response(TrancheOutputSerializer(tranche).data, status=status.HTTP_201_CREATED)


class CommitmentListApi(ProgrammeApi):
    @extend_schema(
        operation_id="commitment_list",
        responses=CommitmentOutputSerializer(many=True),
        description="Fund managers see every commitment; an investor sees its own.",
    )
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, Action.PROGRAMME_VIEW)
        if not access.allows(Action.COMMITMENT_VIEW_ALL):
            access.require(Action.COMMITMENT_VIEW_OWN)
        return self.paginate(
            request, selectors.commitment_list(access=access), CommitmentOutputSerializer
        )


class CommitmentAggregateListApi(ProgrammeApi):
    class OutputSerializer(serializers.Serializer):
        tranche = serializers.CharField()
        kind = serializers.CharField()
        priority = serializers.IntegerField()
        investors = serializers.IntegerField()
        disclosed = serializers.BooleanField(
            help_text="False when the money is held back (sib.privacy): committed and "
            "drawn are then null."
        )
        committed = serializers.IntegerField(allow_null=True)
        drawn = serializers.IntegerField(allow_null=True)

    @extend_schema(
        operation_id="commitment_aggregate_list",
        responses=OutputSerializer(many=True),
        description="Per tranche totals without investor names (public funders). For "
        "anyone but a fund manager, the lender tranches' money is shown only when every "
        "lender tranche has at least 3 investors (or none), and the guarantee tranches' "
        "likewise; otherwise `disclosed` is false and the figures are null "
        '(docs/reports.md, "Privacy of what is shown").',
    )
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, Action.INVESTOR_AGGREGATE_VIEW)
        rows = selectors.commitment_aggregates(
            programme_id=access.programme.pk, audience=reader_audience(access)
        )
        return Response(self.OutputSerializer(rows, many=True).data)


class CommitmentCreateApi(ProgrammeApi):
    class InputSerializer(serializers.Serializer):
        tranche = serializers.SlugField(help_text="Tranche key.")
        investor = serializers.SlugField(help_text="Investor organisation slug.")
        amount = MoneyField(min_value=1)
        committed_on = serializers.DateField()

    @extend_schema(
        operation_id="commitment_create",
        request=InputSerializer,
        responses={201: CommitmentOutputSerializer},
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, Action.PROGRAMME_MANAGE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        tranche = Tranche.objects.filter(programme=access.programme, key=values["tranche"]).first()
        investor = Organisation.objects.filter(slug=values["investor"]).first()
        if tranche is None:
            raise serializers.ValidationError({"tranche": f"No tranche {values['tranche']!r}."})
        if investor is None:
            raise serializers.ValidationError(
                {"investor": f"No organisation {values['investor']!r}."}
            )
        commitment = services.commitment_create(
            tranche=tranche,
            investor=investor,
            amount=values["amount"],
            committed_on=values["committed_on"],
        )
        commitment.drawn = 0  # type: ignore[attr-defined]
        return Response(CommitmentOutputSerializer(commitment).data, status=status.HTTP_201_CREATED)


# --- drawdowns and payments received ----------------------------------------------------


class DrawdownListApi(ProgrammeApi):
    @extend_schema(operation_id="drawdown_list", responses=DrawdownOutputSerializer(many=True))
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, Action.PROGRAMME_VIEW)
        if not access.allows(Action.COMMITMENT_VIEW_ALL):
            access.require(Action.COMMITMENT_VIEW_OWN)
        return self.paginate(
            request, selectors.drawdown_list(access=access), DrawdownOutputSerializer
        )


class DrawdownCreateApi(ProgrammeApi):
    class InputSerializer(serializers.Serializer):
        commitment = serializers.IntegerField(help_text="Commitment id.")
        called_on = serializers.DateField()
        amount = MoneyField(min_value=1)

    # A drawdown names its ledger transaction, which its reversal takes.
    response_links = {
        "Reverse": link(
            "ledger_transaction_reverse",
            programme_id=SAME_PROGRAMME,
            transaction_id="$response.body#/transaction",
        ),
    }

    @extend_schema(
        operation_id="drawdown_create",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: DrawdownOutputSerializer, 200: DrawdownOutputSerializer},
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, Action.DRAWDOWN_RECORD)

        def perform(key: str) -> tuple[int, Any]:
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            commitment = (
                Commitment.objects.filter(programme=access.programme, pk=values["commitment"])
                .select_related("tranche", "investor", "programme")
                .first()
            )
            if commitment is None:
                raise serializers.ValidationError({"commitment": "No such commitment here."})
            drawdown = services.drawdown_record(
                commitment=commitment,
                called_on=values["called_on"],
                amount=values["amount"],
                actor=_actor(request),
                idempotency_key=key,
            )
            return status.HTTP_201_CREATED, DrawdownOutputSerializer(drawdown).data

        return _ledger_write(request, access, "drawdown_create", perform)


class PaymentReceivedCreateApi(ProgrammeApi):
    class InputSerializer(serializers.Serializer):
        payer = serializers.SlugField(help_text="Outcome payer organisation slug.")
        received_on = serializers.DateField()
        amount = MoneyField(min_value=1)
        description = serializers.CharField(max_length=500, required=False, default="")
        advance = serializers.BooleanField(
            required=False,
            default=False,
            help_text="The payer pays ahead: the part above what it owes (or above the "
            "contract cap) is kept as its advance instead of being refused; never past "
            "the most the payer could ever owe (docs/ledger.md, Advances).",
        )

    response_links = REVERSE_LINKS

    @extend_schema(
        operation_id="payment_received_create",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: TransactionOutputSerializer, 200: TransactionOutputSerializer},
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
                    {"payer": f"No organisation {values['payer']!r}."}
                )
            # Through outcome_payment_receive: the posting and the schedule recompute it
            # triggers (through the outbox) commit together.
            tx = outcome_payment_receive(
                programme=access.programme,
                payer=payer,
                amount=values["amount"],
                received_on=values["received_on"],
                description=values["description"],
                advance=values["advance"],
                actor=_actor(request),
                idempotency_key=key,
            )
            return status.HTTP_201_CREATED, TransactionOutputSerializer(tx).data

        return _ledger_write(request, access, "payment_received_create", perform)


# --- the ledger -------------------------------------------------------------------------


class AccountListApi(ProgrammeApi):
    @extend_schema(operation_id="ledger_account_list", responses=AccountOutputSerializer(many=True))
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, Action.LEDGER_VIEW)
        return self.paginate(
            request,
            selectors.account_list(programme_id=access.programme.pk),
            AccountOutputSerializer,
        )


def _transaction_rows(page: list[LedgerTransaction]) -> list[dict[str, Any]]:
    legs = selectors.transaction_legs(transaction_ids=[tx.pk for tx in page])
    return transaction_rows(page, legs)


class TransactionListApi(ProgrammeApi):
    # The ledger only grows: a cursor pages it in insertion order, with no COUNT(*).
    pagination_class = AppendOnlyCursorPagination

    class FilterSerializer(serializers.Serializer):
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)
        account = serializers.CharField(max_length=200, required=False, help_text="Account code.")

    @extend_schema(
        operation_id="ledger_transaction_list",
        parameters=[FilterSerializer],
        responses=TransactionOutputSerializer(many=True),
    )
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, Action.LEDGER_VIEW)
        # A plain dict: in a QueryDict DRF reads `?state=` (empty) as no filter at all.
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        account = values.get("account")
        if (
            account
            and not selectors.account_list(programme_id=access.programme.pk)
            .filter(code=account)
            .exists()
        ):
            # An unknown account is a mistake to report, not an empty ledger.
            raise serializers.ValidationError({"account": f"No account {account!r} here."})
        transactions = selectors.transaction_list(
            programme_id=access.programme.pk,
            date_from=values.get("date_from"),
            date_to=values.get("date_to"),
            account_code=values.get("account"),
        )
        return self.paginate_rows(request, transactions, _transaction_rows)


class TransactionReverseApi(ProgrammeApi):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)
        occurred_on = serializers.DateField(required=False, default=None, allow_null=True)

    response_links = REVERSE_LINKS

    @extend_schema(
        operation_id="ledger_transaction_reverse",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: TransactionOutputSerializer, 200: TransactionOutputSerializer},
    )
    def post(self, request: Request, programme_id: int, transaction_id: int) -> Response:
        access = self.access(request, programme_id, Action.LEDGER_VIEW)
        original = LedgerTransaction.objects.filter(
            programme=access.programme, pk=transaction_id
        ).first()
        if original is None:
            raise Http404
        # An accrual takes no right of its own: whoever records payments hears why it is not.
        access.require(reversal_action(original.kind) or Action.PAYMENT_RECORD)

        def perform(key: str) -> tuple[int, Any]:
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            try:
                tx = services.ledger_transaction_reverse(
                    original=original,
                    reason=data.validated_data["reason"],
                    occurred_on=data.validated_data["occurred_on"],
                    actor=_actor(request),
                    idempotency_key=key,
                )
            except services.AlreadyReversed as exc:
                raise _already_reversed() from exc
            return status.HTTP_201_CREATED, TransactionOutputSerializer(tx).data

        return _ledger_write(request, access, f"ledger_transaction_reverse:{original.pk}", perform)


class LedgerVerifyApi(ProgrammeApi):
    class OutputSerializer(serializers.Serializer):
        class BreakSerializer(serializers.Serializer):
            seq = serializers.IntegerField()
            kind = serializers.CharField()
            object_id = serializers.CharField()
            reason = serializers.CharField()

        programme_id = serializers.IntegerField()
        ok = serializers.BooleanField()
        entries = serializers.IntegerField()
        head = serializers.CharField()
        first_break = BreakSerializer(allow_null=True)

    @extend_schema(operation_id="ledger_verify", responses=OutputSerializer)
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, Action.LEDGER_VERIFY)
        result = chain_verify(programme_id=access.programme.pk)
        return Response(
            self.OutputSerializer(
                {
                    "programme_id": result.programme_id,
                    "ok": result.ok,
                    "entries": result.entries,
                    "head": result.head,
                    "first_break": result.first_break,
                }
            ).data
        )


# --- the position ---------------------------------------------------------------------
