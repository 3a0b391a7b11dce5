"""Evidence: a document backing a submitted result, from its submitter, stored once under
MEDIA_ROOT by its SHA-256 (reading it back: outcomes.evidence_files)."""

import hashlib
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from outcomes import refusals
from outcomes.models import Evidence, Result, ResultState
from outcomes.selectors import result_state
from outcomes.services import state_text
from sib.models import User

# Evidence: PDFs, images and office/CSV files, recognised by their first bytes, not by
# the name or the Content-Type the client claims.
_EVIDENCE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),  # xlsx, docx, ods, odt
)


def _sniff(head: bytes, name: str) -> str | None:
    for signature, content_type in _EVIDENCE_SIGNATURES:
        if head.startswith(signature):
            return content_type
    if name.lower().endswith(".csv"):
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "text/csv"
    return None


@transaction.atomic
def evidence_attach(*, result: Result, user: User, uploaded: Any) -> Evidence:
    """Store a document for a result under MEDIA_ROOT, named by its SHA-256.

    Evidence supports a submission: its submitter attaches it while the result awaits
    its decision. Once verified or rejected, the decision stands on what was there.
    """
    if result.submitted_by_id != user.pk:
        raise refusals.evidence_by_submitter()
    state = result_state(result=result)
    if state != ResultState.SUBMITTED:
        raise refusals.evidence_needs_submitted(state_text(state))
    limit = settings.SIB_MAX_EVIDENCE_BYTES  # also the request's cap (sib.request_limits)
    if uploaded.size > limit:
        raise ValidationError(
            {"file": _("At most %(size)s MB per document.") % {"size": limit // (1024 * 1024)}}
        )
    digest = hashlib.sha256()
    head = b""
    chunks = []
    for chunk in uploaded.chunks():
        if len(head) < 16:
            head += chunk[:16]
        digest.update(chunk)
        chunks.append(chunk)
    content_type = _sniff(head, uploaded.name or "")
    if content_type is None:
        raise ValidationError({"file": _("Accepted documents: PDF, PNG, JPEG, office files, CSV.")})
    sha = digest.hexdigest()
    if Evidence.objects.filter(result=result, sha256=sha).exists():
        raise refusals.evidence_already_attached()
    path = f"evidence/{result.programme_id}/{sha}"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(b"".join(chunks)))
    return Evidence.objects.create(
        result=result,
        file=path,
        original_name=(uploaded.name or "")[:255],
        content_type=content_type,
        size=uploaded.size,
        sha256=sha,
        uploaded_by=user,
    )
