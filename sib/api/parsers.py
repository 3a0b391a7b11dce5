"""The JSON parser every API view uses: body size, depth and content bounded before use.

DRF's JSONParser reads whatever it is sent: a body nested 100,000 deep ended in a
RecursionError (500), a NUL in any string or key reached the jsonb column of the
idempotency record before the serializer saw it (500), and an integer of any size went
on to a bigint column. Here, in order, before anything else sees the body:

1. more than SIB_MAX_BODY_BYTES -> 413 (the middleware refuses it earlier when the
   Content-Length says so; this catches a body that lies about its length);
2. nested deeper than sib.bounds.MAX_JSON_DEPTH -> 400, found by a scan, not by parsing;
3. not JSON -> 400;
4. a control character in a string or key, an integer beyond 10^15, a string beyond
   10,000 characters -> 400 naming each field (sib.bounds.document_errors).
"""

import codecs
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, parsers, status
from rest_framework.utils import json

from sib.bounds import MAX_JSON_DEPTH, document_errors, json_depth_exceeds


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "payload_too_large"


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        _("The request body is larger than %(limit)s bytes, the limit for this request.")
        % {"limit": number_format(limit, force_grouping=True)}
    )


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = settings.SIB_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large(limit)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise exceptions.ParseError(
                _("The body is not %(encoding)s text.") % {"encoding": encoding}
            ) from exc
        if json_depth_exceeds(text):
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        _("The JSON is nested deeper than %(depth)s levels.")
                        % {"depth": MAX_JSON_DEPTH}
                    ]
                }
            )
        try:
            data = json.loads(text)  # NaN and Infinity refused (DRF's strict loads)
        except ValueError as exc:
            raise exceptions.ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from exc
        errors = document_errors(data)
        if errors:
            detail: dict[str, list[str]] = {}
            for path, message in errors:
                detail.setdefault(path or "non_field_errors", []).append(message)
            raise exceptions.ValidationError(detail)
        return data
