"""Serve stored canonical JSON as it is, with its SHA-256 as ETag and 304 Not Modified.

For documents the worker stores as canonical JSON with their digest (schedules,
statements): the bytes go out as they were stored, never parsed and rendered again, and
a client that sends back the ETag it holds gets a 304 without the bytes being read.
"""

from collections.abc import Callable

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from rest_framework.request import Request

JSON = "application/json"


def etag_matches(request: Request, etag: str) -> bool:
    """Return whether If-None-Match names `etag` (weak comparison, as RFC 9110 wants)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    held = parse_etags(header)
    return "*" in held or any(tag.removeprefix("W/") == etag for tag in held)


def json_bytes_response(
    request: Request, *, sha256: str, read: Callable[[], bytes]
) -> HttpResponse:
    """Return the JSON bytes `read` gives, or a 304 when the client holds them already."""
    etag = f'"{sha256}"'
    response: HttpResponse
    if etag_matches(request, etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(read(), content_type=JSON)
    response["ETag"] = etag
    # A browser may keep it and must ask again each time (a 304 then costs nothing); a
    # shared cache must not keep it at all: what it holds depends on who asks.
    response["Cache-Control"] = "private, no-cache"
    return response
