"""Reading an evidence document back: its integrity against the SHA-256 recorded when it
was attached.

Who may read evidence is the rule for results in every state (Action.RESULT_VIEW:
evaluators, lead evaluators, the fund manager). Public funders see verified results but
not their evidence: a certificate or a contract names a participant, and funders do not
see participant rows (DOMAIN.md).
"""

import hashlib
from typing import IO

from django.core.files.storage import default_storage

from outcomes.models import Evidence
from sib.models import Programme

CHUNK = 64 * 1024


def evidence_get(*, programme: Programme, result_id: int, evidence_id: int) -> Evidence:
    """Return evidence `evidence_id` of result `result_id` on `programme`, or raise
    Evidence.DoesNotExist: another programme's document does not exist for this reader."""
    return Evidence.objects.select_related("result").get(
        pk=evidence_id, result_id=result_id, result__programme=programme
    )


def evidence_intact(*, evidence: Evidence) -> bool:
    """Whether the stored bytes still hash to the digest recorded at attachment.

    Checked before streaming: once the first bytes are sent, a mismatch could no longer be
    told to the reader. Documents are at most SIB_MAX_EVIDENCE_BYTES, so reading twice is
    cheap next to serving a document that was changed on disk.
    """
    digest = hashlib.sha256()
    try:
        with default_storage.open(str(evidence.file.name), "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        return False
    return digest.hexdigest() == evidence.sha256


def evidence_open(*, evidence: Evidence) -> IO[bytes]:
    return default_storage.open(str(evidence.file.name), "rb")
