"""Error pages: problem details under /api/, the portal's templates elsewhere."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from sib.observability import current_request_id


def problem(
    request: HttpRequest,
    status: int,
    title: str,
    detail: str = "",
    errors: list[dict[str, str]] | None = None,
) -> JsonResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.path,
        "request_id": current_request_id(),
    }
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status, content_type="application/problem+json")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Django's own refusals of a request (SuspiciousOperation): a form body over
    # DATA_UPLOAD_MAX_MEMORY_SIZE is a body too large, not a bad one.
    if isinstance(exception, RequestDataTooBig):
        from sib.request_limits import body_limit, too_large_response

        return too_large_response(request, body_limit(request))
    if request.path.startswith("/api/"):
        return problem(request, 400, _("Bad request."))
    return defaults.bad_request(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem(request, 404, "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem(request, 500, "Server error.")
    return defaults.server_error(request)
