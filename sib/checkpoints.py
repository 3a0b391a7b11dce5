"""Signed checkpoints: each chain head the ledger publishes, signed with its key.

A checkpoint says "programme P's chain had n entries and head H, as of time T", signed
(sib.signing). Every report the ledger issues prints a head, and every verification bundle
ends at one: both are checkpointed when published, so a funder holding a checkpoint can
prove later what the ledger said then, and the offline verifier (sib_verify) refuses a
chain that does not pass through it. The key signs; the chain still proves the content.
"""

import base64
import binascii
import json

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

import sib_verify
from sib.chain import GENESIS
from sib.models import ChainCheckpoint, ChainEntry, Programme
from sib.signing import signing_identity


class NotAState(ValueError):
    """The sequence number is not a state of the programme's chain."""


def checkpoint_issue(*, programme: Programme, seq: int | None = None) -> ChainCheckpoint:
    """Return the signed checkpoint of the programme's chain at `seq` (default: its head).

    Signed once per state: the first publication of a head gives its time, later ones
    return the same row.
    """
    entries = ChainEntry.objects.filter(programme=programme)
    if seq is None:
        last = entries.order_by("-seq").values_list("seq", "hash").first()
        seq, head = last if last is not None else (0, GENESIS)
    elif seq == 0:
        head = GENESIS
    else:
        found = entries.filter(seq=seq).values_list("hash", flat=True).first()
        if found is None:
            raise NotAState(f"{programme.slug} has no chain entry #{seq}.")
        head = found
    existing = ChainCheckpoint.objects.filter(programme=programme, seq=seq).first()
    if existing is not None:
        return existing
    identity = signing_identity()
    now = timezone.now().replace(microsecond=0)
    payload = sib_verify.checkpoint_payload(
        programme=programme.slug,
        programme_id=programme.pk,
        seq=seq,
        head=head,
        at=now.isoformat().replace("+00:00", "Z"),
    )
    with transaction.atomic():
        # Two publications of one state at once (a report build and a bundle download):
        # the unique constraint keeps the first, and both return it.
        ChainCheckpoint.objects.bulk_create(
            [
                ChainCheckpoint(
                    programme=programme,
                    seq=seq,
                    head=head,
                    signed_at=now,
                    payload=payload,
                    signature=base64.b64encode(identity.sign(payload.encode())).decode(),
                    certificate_sha256=identity.fingerprint,
                )
            ],
            ignore_conflicts=True,
        )
    return ChainCheckpoint.objects.get(programme=programme, seq=seq)


def checkpoint_list(*, programme: Programme, up_to_seq: int) -> list[ChainCheckpoint]:
    """Return the programme's checkpoints up to a state, in chain order."""
    return list(
        ChainCheckpoint.objects.filter(programme=programme, seq__lte=up_to_seq).order_by("seq")
    )


def checkpoint_sound(*, checkpoint: ChainCheckpoint) -> bool:
    """Is the checkpoint signed by the ledger's key, over what its row says?

    The payload must name the row's programme, seq and head, and the signature be the
    current certificate's over it: a row changed in the database, or signed by a key since
    replaced, is not a place a routine check may start from (sib.chain_checks).
    """
    identity = signing_identity()
    if checkpoint.certificate_sha256 != identity.fingerprint:
        return False
    try:
        payload = json.loads(checkpoint.payload)
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except (ValueError, binascii.Error):
        return False
    if not isinstance(payload, dict) or (
        payload.get("programme_id"),
        payload.get("seq"),
        payload.get("head"),
    ) != (checkpoint.programme_id, checkpoint.seq, checkpoint.head):
        return False
    return sib_verify.signature_verify(identity.certificate, checkpoint.payload.encode(), signature)


def checkpoint_mismatches(*, programme_id: int) -> list[tuple[int, str]]:
    """Return (seq, head) of each checkpoint the programme's chain no longer passes through.

    One index lookup per checkpoint: the entry at its seq must still have its head.
    """
    return list(
        ChainCheckpoint.objects.filter(programme_id=programme_id, seq__gt=0)
        .exclude(
            Exists(
                ChainEntry.objects.filter(
                    programme_id=programme_id, seq=OuterRef("seq"), hash=OuterRef("head")
                )
            )
        )
        .order_by("seq")
        .values_list("seq", "head")
    )
