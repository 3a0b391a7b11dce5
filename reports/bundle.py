"""The verification bundle: what a funder needs to check a report without the ledger.

One JSON document (format `sib-verification-bundle/1`, checked by sib_verify):
- `programme`: id, slug, name;
- `head`: the state the bundle ends at (seq, hash), published here as a signed checkpoint;
- `certificate`: the ledger's signing certificate (PEM), and its SHA-256 fingerprint;
- `checkpoints`: every signed checkpoint up to that state (`payload` is the signed text,
  `signature` base64);
- `reports`: the issued reports of the editions the requester may see, and the payment
  notices to the payers it may see (SHA-256, chain head and seq, edition, language,
  issue time);
- `entries`: the chain, in order: seq, kind, object_id, previous_hash, hash, imported, and
  `canonical`, the record's canonical text (sib.chain), from which each hash recomputes.
The canonical records carry amounts and internal ids (of users, organisations,
accounts), never names or participant rows: what the chain already commits to.

Streamed, so a long chain never sits in memory: entries are read and written in batches.
"""

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Q
from django.utils import timezone

import sib_verify
from reports.models import Edition, Report, ReportStatus
from sib.chain import chain_canonical_texts
from sib.checkpoints import checkpoint_issue, checkpoint_list
from sib.models import ChainEntry, Programme
from sib.signing import signing_identity

_BATCH = 5_000


def bundle_filename(programme: Programme, head: str) -> str:
    return f"{programme.slug}-verification-{head[:12]}.json"


def bundle_export(
    *, programme: Programme, editions: list[str], notice_payer_ids: Iterable[int] = ()
) -> tuple[str, Iterator[bytes]]:
    """Publish the programme's head as a signed checkpoint; return it and the bundle's bytes.

    The checkpoint is written before the first byte is sent (exporting publishes the head);
    everything after reads only rows at or below that state, which later appends never
    change (the chain and the records it covers are insert-only).
    """
    checkpoint = checkpoint_issue(programme=programme)
    issued = Q(edition__in=editions) | Q(
        edition=Edition.PAYER_NOTICE, payer_id__in=list(notice_payer_ids)
    )
    return checkpoint.head, _bundle_chunks(programme, checkpoint.seq, checkpoint.head, issued)


def _bundle_chunks(programme: Programme, seq: int, head: str, issued: Q) -> Iterator[bytes]:
    identity = signing_identity()
    reports = (
        Report.objects.filter(issued, programme=programme, status=ReportStatus.READY)
        .filter(chain_seq__lte=seq)
        .order_by("chain_seq", "id")
        .values("sha256", "chain_head", "chain_seq", "edition", "language", "finished_at")
    )
    header: dict[str, Any] = {
        "format": sib_verify.BUNDLE_FORMAT,
        "programme": {"id": programme.pk, "slug": programme.slug, "name": programme.name},
        "exported_at": timezone.now().isoformat(),
        "head": {"seq": seq, "hash": head},
        "certificate": identity.certificate_pem,
        "certificate_sha256": identity.fingerprint,
        "checkpoints": [
            {"payload": c.payload, "signature": c.signature}
            for c in checkpoint_list(programme=programme, up_to_seq=seq)
        ],
        "reports": [
            {**row, "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None}
            for row in reports
        ],
    }
    text = sib_verify.canonical_json(header)
    yield (text[:-1] + ',"entries":[').encode()
    first, last_seq = True, 0
    while last_seq < seq:
        batch: list[dict[str, Any]] = [
            dict(row)
            for row in ChainEntry.objects.filter(
                programme=programme, seq__gt=last_seq, seq__lte=seq
            )
            .order_by("seq")
            .values("seq", "kind", "object_id", "previous_hash", "hash", "imported")[:_BATCH]
        ]
        if not batch:
            break
        texts = _canonical_texts(batch)
        chunk = []
        for entry in batch:
            entry["canonical"] = texts.get((entry["kind"], entry["object_id"]))
            chunk.append(sib_verify.canonical_json(entry))
        yield (("" if first else ",") + ",".join(chunk)).encode()
        first, last_seq = False, batch[-1]["seq"]
    yield b"]}"


def _canonical_texts(batch: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    by_kind: dict[str, list[str]] = {}
    for entry in batch:
        by_kind.setdefault(entry["kind"], []).append(entry["object_id"])
    return {
        (kind, object_id): text
        for kind, ids in by_kind.items()
        for object_id, text in chain_canonical_texts(kind=kind, object_ids=ids).items()
    }
