"""Joint payments: one payment received that settles what several payers owe.

In real deals one body (an outcomes fund, a lead commissioner) sends one bank payment
for several payers (the State pays for itself and for a département under an
agreement). The ledger books it as ONE `payment_received` transaction: Dr programme cash
the whole amount, Cr each settled payer's receivable its part. The legs say whose dues
were settled; this row says who paid (payments.joint_payments). The paying party's name
is also in the transaction's description, which the hash chain covers.
"""

from django.db import models

from sib.db.insert_only import InsertOnlyModel
from sib.models import Organisation, Programme


class JointPayment(InsertOnlyModel):
    """Who paid a payment received whose legs settle the dues of several payers.

    The database refuses a row whose transaction is not a payment received of the same
    programme (trigger payments_joint_payment_matches_transaction, migration 0016).
    """

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    transaction = models.OneToOneField(
        "payments.LedgerTransaction", on_delete=models.PROTECT, related_name="joint_payment"
    )
    paid_by = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(InsertOnlyModel.Meta):
        db_table = "payments_joint_payment"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"joint payment #{self.transaction_id} by {self.paid_by_id}"
