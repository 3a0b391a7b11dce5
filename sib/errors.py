"""Error pages: problem details under /api/, the portal's templates elsewhere."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from sib.observability import current_request_id


def _problem(request: HttpRequest, status: int, title: str) -> JsonResponse:
    return JsonResponse(
        {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": title,
            "instance": request.path,
            "request_id": current_request_id(),
        },
        status=status,
        content_type="application/problem+json",
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _problem(request, 404, "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _problem(request, 500, "Server error.")
    return defaults.server_error(request)
