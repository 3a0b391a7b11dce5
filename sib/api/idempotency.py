"""Idempotency-Key for POST endpoints.

Same key and same body: the original response is replayed (HTTP 200, same body).
Same key, different body: 409 naming the fields that differ.
A request that fails (validation or otherwise) rolls back with its record, so it is not
remembered. Concurrent requests with one key serialise on the unique index: the second
waits until the first commits, then replays it.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from sib.bounds import control_character_error, document_errors
from sib.exceptions import Conflict
from sib.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyConflict(Conflict):
    def __init__(self, differing_fields: list[str]) -> None:
        super().__init__(
            gettext_lazy(
                "This Idempotency-Key was used with a different request body; "
                "differing fields: %(fields)s."
            ),
            code="idempotency_key_reused",
            params={"fields": ", ".join(differing_fields) or "(body)"},
            extra={"differing_fields": differing_fields},
        )


def idempotency_key(request: Request, *, required: bool = True) -> str | None:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        if required:
            raise exceptions.ValidationError(
                {HEADER: [_("This header is required for this write.")]}
            )
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError(
            {HEADER: [_("At most %(count)s characters.") % {"count": MAX_KEY_LENGTH}]}
        )
    problem = control_character_error(key)
    if problem:
        raise exceptions.ValidationError({HEADER: [problem]})
    return key


def fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def differing_fields(first: Any, second: Any, prefix: str = "") -> list[str]:
    if isinstance(first, dict) and isinstance(second, dict):
        fields: list[str] = []
        for key in sorted(set(first) | set(second), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in first or key not in second:
                fields.append(path)
            else:
                fields.extend(differing_fields(first[key], second[key], path))
        return fields
    return [] if first == second else [prefix or "(body)"]


def idempotent(
    *,
    scope: str,
    key: str,
    operation: str,
    body: Any,
    perform: Callable[[], tuple[int, Any]],
) -> Response:
    """Run `perform` once for (scope, key); it returns (status, response body)."""
    body = json.loads(json.dumps(body, default=str))
    # The body is stored (jsonb) to tell a replay from a different request. A JSON body was
    # bounded by its parser; a form body was not, and a NUL anywhere in it, even in a
    # field the operation ignores, cannot be stored: refused here, named, before any write.
    problems = document_errors(body)
    if problems:
        raise exceptions.ValidationError(
            {path or "(body)": [message] for path, message in problems}
        )
    digest = fingerprint(body)
    with transaction.atomic():
        existing = _claim_or_existing(
            scope=scope, key=key, operation=operation, body=body, digest=digest
        )
        if existing is None:
            status_code, response_body = perform()
            response_body = json.loads(json.dumps(response_body, default=str))
            IdempotencyRecord.objects.filter(scope=scope, key=key).update(
                response_status=status_code, response_body=response_body
            )
            return Response(response_body, status=status_code)
    if existing.request_fingerprint != digest or existing.operation != operation:
        raise IdempotencyConflict(differing_fields(existing.request_body, body))
    return Response(existing.response_body, status=status.HTTP_200_OK)


def _claim_or_existing(
    *, scope: str, key: str, operation: str, body: Any, digest: str
) -> IdempotencyRecord | None:
    # The insert blocks while another transaction holds the same key, so concurrent
    # retries see either nothing (the first rolled back: we take over) or its response.
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                scope=scope,
                key=key,
                operation=operation,
                request_body=body,
                request_fingerprint=digest,
                response_status=0,
                response_body={},
            )
        return None
    except IntegrityError:
        return IdempotencyRecord.objects.get(scope=scope, key=key)
