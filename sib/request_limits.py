"""Request bodies capped by kind before anything reads them (README, "Configuration").

A CSV import, an evidence file, a report PDF to verify and every other body (JSON, a
form) each have their own limit, read from the settings. A request whose Content-Length
is over its limit is answered 413 at once, as problem details under /api/ and as a page
in the portal: nothing is parsed, stored or even read. (Django reads a WSGI body only up
to its Content-Length, so a body cannot be longer than it says; the JSON parser checks
again all the same.)

A query string with a NUL or another control character is refused the same way (400):
PostgreSQL cannot compare a NUL, so `?investor=%00` used to end in a 500 wherever a
filter reached a query.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from sib.bounds import control_character_error, control_character_safe
from sib.errors import bad_request, problem

# URL names (API and portal) whose bodies are files of one kind.
# A programme definition is an import too: its history may hold thousands of entries.
IMPORT_URLS = frozenset(
    {"api:results-import", "outcomes_portal:result-import", "portal:programme-new"}
)
EVIDENCE_URLS = frozenset(
    {
        "api:result-evidence-upload",
        "outcomes_portal:result-detail",
        "outcomes_portal:result-submit",  # a result with its evidence
    }
)


REPORT_URLS = frozenset({"api:report-verify"})


def body_limit(request: HttpRequest) -> int:
    """Return the largest body, in bytes, that this request's URL accepts."""
    try:
        name = resolve(request.path_info).view_name
    except Resolver404:
        name = ""
    if name in IMPORT_URLS:
        return int(settings.SIB_MAX_IMPORT_BYTES)
    if name in EVIDENCE_URLS:
        return int(settings.SIB_MAX_EVIDENCE_BYTES)
    if name in REPORT_URLS:
        return int(settings.SIB_MAX_REPORT_BYTES)
    return int(settings.SIB_MAX_BODY_BYTES)


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    message = _("The request body is larger than %(limit)s bytes, the limit for this request.") % {
        "limit": number_format(limit, force_grouping=True)
    }
    if request.path.startswith("/api/"):
        return problem(request, 413, _("The request body is too large."), message)
    body = render_to_string("413.html", {"message": message}, request=request)
    return HttpResponse(body, status=413)


def query_string_errors(request: HttpRequest) -> list[dict[str, str]]:
    """Return {field, message} for every query parameter holding a control character."""
    errors = []
    for key, values in request.GET.lists():
        for text in (key, *values):
            problem = control_character_error(text)
            if problem:
                errors.append({"field": control_character_safe(key), "message": problem})
                break
    return errors


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > 0:
            limit = body_limit(request)
            if length > limit:
                return too_large_response(request, limit)
        errors = query_string_errors(request)
        if errors:
            if not request.path.startswith("/api/"):
                return bad_request(request, ValueError("control character in the query"))
            detail = _("The query has invalid fields; see errors.")
            return problem(request, 400, _("Invalid input."), detail, errors)
        return self.get_response(request)
