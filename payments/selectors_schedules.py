"""Reads of stored schedules as bytes, and an investor's statement.

The API serves a schedule or a statement as the canonical JSON the worker stored at the
chain head (payments.schedules.programme_recompute), byte for byte: the read takes no
lock, rebuilds nothing and parses nothing, and its cost does not grow with the document.
`Served.sha256` is the digest of exactly those bytes (the API's ETag), read before them,
so that a client which holds them already is answered without reading them at all.

When nothing is stored at the head (the worker has not caught up, or a custom
percentage), the document is computed as every reader computes it
(payments.schedule_builder.schedule_document), and its digest is that of the computed
bytes: the same bytes, and so the same ETag, that the recompute will store.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Subquery

from payments.models import ScheduleVersion, StatementVersion
from payments.returns import investor_returns
from payments.schedule_builder import (
    RULES_VERSION,
    document_bytes,
    scenario_for,
    schedule_document,
)
from payments.statements import statement_of
from sib.models import ChainEntry, Programme


@dataclass(frozen=True)
class Served:
    """A document's digest, and how to read its bytes (only when they are to be sent)."""

    sha256: str
    read: Callable[[], bytes]


def _computed(text: str) -> Served:
    data = text.encode()
    return Served(sha256=hashlib.sha256(data).hexdigest(), read=lambda: data)


def _head(programme: Programme) -> Subquery:
    """The programme's chain head, as a subquery (the read and the head in one query)."""
    entries = ChainEntry.objects.filter(programme=programme).order_by("-seq")
    return Subquery(entries.values("hash")[:1])


def _stored(
    rows: QuerySet[ScheduleVersion] | QuerySet[StatementVersion], *, with_bytes: bool
) -> Served | None:
    """Return the stored row's digest and bytes, or None when nothing is stored.

    `with_bytes`: read the bytes in the same query, for a client that holds no ETag (it
    will be sent them whatever the digest). Else they are read only if they are sent.
    """
    if with_bytes:
        found = rows.values_list("sha256", "content").first()
        if found is None:
            return None
        sha256, text = found
        data = text.encode()
        return Served(sha256=sha256, read=lambda: data)
    digest = rows.values_list("pk", "sha256").first()
    if digest is None:
        return None
    pk, sha256 = digest
    model = rows.model

    def read() -> bytes:
        text = model.objects.filter(pk=pk).values_list("content", flat=True).get()
        return str(text).encode()

    return Served(sha256=sha256, read=read)


def schedule_served(
    *, programme: Programme, percent: Decimal | None = None, with_bytes: bool = False
) -> Served:
    """Return one scenario's document at the chain head: stored bytes, or computed ones."""
    rows = ScheduleVersion.objects.filter(
        programme=programme,
        scenario=scenario_for(percent).name,
        chain_head=_head(programme),
        rules_version=RULES_VERSION,
    )
    stored = _stored(rows, with_bytes=with_bytes)
    if stored is None:
        return _computed(document_bytes(schedule_document(programme=programme, percent=percent)))
    return stored


def investor_statement_served(
    *, programme: Programme, investor: str, with_bytes: bool = False
) -> Served:
    """Return one investor's statement at the chain head: stored bytes, or computed ones.

    The caller has checked that this user may read this investor's statement
    (payments.apis_schedules.InvestorStatementApi): the row is looked up by investor.
    """
    actual = ScheduleVersion.objects.filter(
        programme=programme,
        scenario=scenario_for(None).name,
        chain_head=_head(programme),
        rules_version=RULES_VERSION,
    )
    rows = StatementVersion.objects.filter(
        schedule=Subquery(actual.values("pk")[:1]), investor=investor
    )
    stored = _stored(rows, with_bytes=with_bytes)
    if stored is None:
        statement = _statement_computed(programme=programme, investor=investor)
        return _computed(document_bytes(statement))
    return stored


def investor_statement(*, programme: Programme, investor: str) -> dict[str, Any]:
    """Return one investor's part of the actual schedule: its lines, distributions, metrics.

    Nothing about another investor (payments.statements, sib.privacy).
    """
    served = investor_statement_served(programme=programme, investor=investor, with_bytes=True)
    return json.loads(served.read())


def _statement_computed(*, programme: Programme, investor: str) -> dict[str, Any]:
    returns = investor_returns(programme=programme, by_investor=True)
    return statement_of(schedule_document(programme=programme), investor, returns)
