"""Output serializers shared by several payments APIs. Money is always int minor units."""

from typing import Any

from rest_framework import serializers

from payments.models import Account, Commitment, Drawdown, LedgerTransaction, Leg, Tranche


class TrancheOutputSerializer(serializers.ModelSerializer):
    protects = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)  # type: ignore[var-annotated]

    class Meta:
        model = Tranche
        fields = [
            "id",
            "key",
            "name",
            "kind",
            "priority",
            "cap_type",
            "cap_value",
            "protects",
            "cover_limit",
            "cover_percent",
            "coupon",
            "redemption",
        ]


class InvestorOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class CommitmentOutputSerializer(serializers.ModelSerializer):
    tranche = serializers.SlugRelatedField(slug_field="key", read_only=True)  # type: ignore[var-annotated]
    investor = InvestorOutputSerializer(read_only=True)
    drawn = serializers.IntegerField(read_only=True, help_text="Drawn and not reversed.")

    class Meta:
        model = Commitment
        fields = ["id", "tranche", "investor", "amount", "drawn", "committed_on"]


class DrawdownOutputSerializer(serializers.ModelSerializer):
    tranche = serializers.CharField(source="commitment.tranche.key")
    investor = serializers.CharField(source="commitment.investor.name")
    reversed = serializers.SerializerMethodField()

    class Meta:
        model = Drawdown
        fields = [
            "id",
            "commitment",
            "tranche",
            "investor",
            "called_on",
            "amount",
            "transaction",
            "reversed",
        ]

    def get_reversed(self, drawdown: Drawdown) -> bool:
        return hasattr(drawdown.transaction, "reversal")


class LegOutputSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.code")

    class Meta:
        model = Leg
        fields = ["id", "account", "debit", "credit", "currency"]


class TransactionOutputSerializer(serializers.ModelSerializer):
    legs = LegOutputSerializer(many=True, read_only=True)
    reversed_by = serializers.SerializerMethodField()
    actor = serializers.CharField(source="actor.username", default=None)

    class Meta:
        model = LedgerTransaction
        fields = [
            "id",
            "kind",
            "occurred_on",
            "description",
            "reverses",
            "reversed_by",
            "reason",
            "actor",
            "created_at",
            "legs",
        ]

    def get_reversed_by(self, tx: LedgerTransaction) -> int | None:
        return _reversed_by(tx)


_DATE = serializers.DateField()
_DATE_TIME = serializers.DateTimeField()


def transaction_rows(
    transactions: list[LedgerTransaction], legs: dict[int, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Return what TransactionOutputSerializer(transactions, many=True).data holds, given
    the legs of each as rows (payments.selectors.transaction_legs).

    Written out by hand: the list pages up to 500 transactions of a few legs each, and
    DRF's field-by-field walk cost about 5 ms a page of 50 (issue 16). Keep the two in
    step: tests/payments/test_transaction_rows.py compares them.
    """
    return [
        {
            "id": tx.pk,
            "kind": tx.kind,
            "occurred_on": _DATE.to_representation(tx.occurred_on),
            "description": tx.description,
            "reverses": tx.reverses_id,
            "reversed_by": _reversed_by(tx),
            "reason": tx.reason,
            "actor": None if tx.actor is None else str(tx.actor.username),
            "created_at": _DATE_TIME.to_representation(tx.created_at),
            "legs": legs[tx.pk],
        }
        for tx in transactions
    ]


def _reversed_by(tx: LedgerTransaction) -> int | None:
    reversal = getattr(tx, "reversal", None)
    return reversal.pk if reversal is not None else None


class AccountOutputSerializer(serializers.ModelSerializer):
    total_debit = serializers.IntegerField()
    total_credit = serializers.IntegerField()
    balance = serializers.SerializerMethodField(
        help_text="In the account's normal direction: debit - credit for cash and receivables, "
        "credit - debit for what is owed."
    )

    class Meta:
        model = Account
        fields = ["id", "code", "kind", "currency", "total_debit", "total_credit", "balance"]

    def get_balance(self, account: Account) -> int:
        debit, credit = account.total_debit, account.total_credit  # type: ignore[attr-defined]
        return int(debit - credit if account.debit_normal else credit - debit)
