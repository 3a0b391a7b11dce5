"""Ledger tables: accounts, transactions and their legs. See payments/ledger.py first."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from payments.models.capital import Commitment
from sib.db.insert_only import InsertOnlyModel
from sib.models import Organisation, Programme


class AccountKind(models.TextChoices):
    # Debit-normal (assets, uses of money).
    PROGRAMME_CASH = "programme_cash", _("Programme cash")
    PAYER_RECEIVABLE = "payer_receivable", _("Outcome payer receivable")
    PROVIDER_FUNDING = "provider_funding", _("Service provider funding")
    # Outcome payments due from a payer but held while a result is disputed.
    PAYER_DISPUTED = "payer_disputed", _("Outcome payer receivable in dispute")
    # What a guarantor was called to pay and has not paid yet.
    GUARANTEE_CALLED = "guarantee_called", _("Guarantee called, not yet paid")
    # Credit-normal (what the programme owes, and where money comes from).
    INVESTOR_PRINCIPAL = "investor_principal", _("Investor principal")
    INVESTOR_RETURN = "investor_return", _("Investor return")
    GUARANTEE = "guarantee", _("Guarantee")
    OUTCOME_INCOME = "outcome_income", _("Outcome payments earned")
    # Money a payer paid ahead of what it owed (an explicit advance, never silent).
    PAYER_ADVANCE = "payer_advance", _("Outcome payer advance")
    # A tranche's principal redemption a payer owes, per investor of the tranche
    # (payments.redemption_dues): the other side of its `redemption_due` receivable.
    REDEMPTION_INCOME = "redemption_income", _("Principal redemption owed by a payer")


DEBIT_NORMAL = frozenset(
    {
        AccountKind.PROGRAMME_CASH,
        AccountKind.PAYER_RECEIVABLE,
        AccountKind.PROVIDER_FUNDING,
        AccountKind.PAYER_DISPUTED,
        AccountKind.GUARANTEE_CALLED,
    }
)


class Account(InsertOnlyModel):
    """One account of one programme's ledger; created on first use, never changed."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=200, help_text='Stable name, e.g. "principal:senior:bank".')
    kind = models.CharField(max_length=24, choices=AccountKind.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts"
    )
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(InsertOnlyModel.Meta):
        db_table = "payments_account"
        ordering = ["programme", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="account_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def debit_normal(self) -> bool:
        return self.kind in DEBIT_NORMAL


class TransactionKind(models.TextChoices):
    DRAWDOWN = "drawdown", _("Drawdown")
    PAYMENT_RECEIVED = "payment_received", _("Outcome payment received")
    DISTRIBUTION = "distribution", _("Waterfall distribution")
    REVERSAL = "reversal", _("Reversal")
    # Accrual: what verified results make each payer owe, and every restatement of it.
    OUTCOME_DUE = "outcome_due", _("Outcome payment due")
    # Due amounts moved into (or out of) dispute while a funder contests a result.
    DISPUTE_HOLD = "dispute_hold", _("Disputed amount held or released")
    # A payer's advance applied to what it owes once that falls due.
    ADVANCE_APPLIED = "advance_applied", _("Advance applied")
    GUARANTEE_CALL = "guarantee_call", _("Guarantee call")
    GUARANTEE_PAYMENT = "guarantee_payment", _("Guarantee payment received")
    # Accrual: the principal redemption a tranche's terms make a payer owe, and its
    # restatements (payments.redemption_dues).
    REDEMPTION_DUE = "redemption_due", _("Principal redemption due")
    # Money paid back to a payer out of the credit it holds after a restatement below
    # what it paid (payments.credit_refunds).
    CREDIT_REFUND = "credit_refund", _("Credit refunded to a payer")


class LedgerTransaction(InsertOnlyModel):
    """A balanced set of legs, dated, posted once; corrected only by a reversing transaction."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=TransactionKind.choices)
    occurred_on = models.DateField(help_text="Value date of the money movement.")
    description = models.CharField(max_length=500, blank=True)
    # Unique: a transaction is reversed at most once (the database refuses a second one).
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    reason = models.TextField(blank=True, help_text="Why a reversal was made.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(InsertOnlyModel.Meta):
        db_table = "payments_ledger_transaction"
        ordering = ["id"]
        indexes = [models.Index(fields=["programme", "occurred_on"], name="ledger_tx_by_date")]
        constraints = [
            # A second line of defence behind the API's idempotency records: one key, one
            # transaction per programme, whatever path the write came through.
            models.UniqueConstraint(
                fields=["programme", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="ledger_tx_idempotency_key_once",
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="ledger_tx_reversal_links_original",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | ~Q(reason=""),
                name="ledger_tx_reversal_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(reverses=F("id")), name="ledger_tx_not_self_reversing"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.occurred_on}"


class Leg(InsertOnlyModel):
    """One side of a transaction on one account: a positive debit or a positive credit."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="legs"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="legs")
    debit = models.BigIntegerField(default=0)
    credit = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)

    class Meta(InsertOnlyModel.Meta):
        db_table = "payments_leg"
        ordering = ["id"]
        # Verification reads a transaction's legs in id order.
        indexes = [models.Index(fields=["transaction", "id"], name="leg_by_transaction")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                name="leg_exactly_one_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} Dr {self.debit} Cr {self.credit} {self.currency}"
