from django.db import models
from django.utils import timezone

from sib.db.insert_only import InsertOnlyModel
from sib.models.programmes import Programme


class ChainEntry(InsertOnlyModel):
    """One link of a programme's hash chain: hash = sha256(canonical bytes ‖ previous hash).

    The canonical bytes are rebuilt from the source row (a ledger transaction, a verified
    result...) when the chain is verified, so changing the source row breaks the chain at
    exactly that entry. See sib.chain.
    """

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    imported = models.BooleanField(
        default=False, help_text="History brought in from before this system, with its dates."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(InsertOnlyModel.Meta):
        db_table = "sib_chain_entry"
        constraints = [
            models.UniqueConstraint(fields=["programme", "seq"], name="chain_seq_unique"),
            models.UniqueConstraint(fields=["kind", "object_id"], name="chain_object_once"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}#{self.seq} {self.kind}:{self.object_id}"


class ChainHead(models.Model):
    """The last entry of a programme's chain, kept by a trigger on every append.

    Written only by the database (trigger `sib_chain_entry_head_advance`, migrations 0009, 0017),
    never by the application role, which may only read it. The trigger also refuses an
    entry that does not follow the head (its seq is not head + 1 or its previous hash is not
    the head's hash). chain_verify compares the chain with it: removing the last entries
    with their records leaves a whole, shorter chain that only the head record contradicts.
    Someone with the owner's password can forge this row too; a signed checkpoint held by
    someone else is what settles that (docs/operations.md).
    """

    app_role_read_only = True

    programme = models.OneToOneField(
        Programme, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "sib_chain_head"

    def __str__(self) -> str:
        return f"{self.programme_id}#{self.seq}"
