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
