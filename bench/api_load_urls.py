"""The bench's URLconf: the project's routes plus /bench/bare/, never in sib/urls.py."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def bare(request: HttpRequest) -> JsonResponse:
    """Answer a constant: the cost of Django, its middleware and gunicorn, no database."""
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("", include("sib.urls")),
]
