from django.db import models

from sib.db.insert_only import InsertOnlyModel
from sib.models.programmes import Programme


class ChainCheckpoint(InsertOnlyModel):
    """A chain head the ledger published, signed: programme, seq, head, time (sib.checkpoints).

    `payload` is the exact text signed (sib_verify.checkpoint_payload) and `signature` the
    signature of its UTF-8 bytes by the key of the certificate whose SHA-256 is
    `certificate_sha256`. One per state: the first publication of a head is its time.
    """

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField(help_text="Entries covered (0: the empty chain).")
    head = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    payload = models.TextField()
    signature = models.TextField(help_text="Base64.")
    certificate_sha256 = models.CharField(max_length=64)

    class Meta(InsertOnlyModel.Meta):
        db_table = "sib_chain_checkpoint"
        ordering = ["programme", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "seq"], name="checkpoint_once_per_state"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}#{self.seq} {self.head[:12]}"
