"""Request ids and structured logs that follow a request from the web server into Celery tasks."""

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from pghistory.middleware import HistoryMiddleware

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdMiddleware:
    """Take the caller's X-Request-ID when it is sane, or make one; echo it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        request_id_var.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        # Keep the id until the response is closed, not just until this returns: Django
        # logs a 4xx/5xx response ("Not Found: /api/...") after the middleware chain, and
        # the development server writes its access line after that. Resetting here left
        # those lines, most of the log, without a request id.
        response._resource_closers.append(_forget_request_id)  # type: ignore[attr-defined]
        return response


def _forget_request_id() -> None:
    # Cleared, not reset to what was there before: requests do not nest in a thread, and a
    # response never closed (a streamed download abandoned by its client) must not leave
    # its id to the next request's lines.
    request_id_var.set(None)


class HistoryContextMiddleware(HistoryMiddleware):
    """Record the acting user, URL and request id with every audited change (django-pghistory)."""

    def get_context(self, request: HttpRequest) -> dict[str, Any]:
        return {**super().get_context(request), "request_id": current_request_id()}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id()
        if request_id is None:
            # A record about a request Django passes along (django.request) carries it.
            request_id = getattr(getattr(record, "request", None), "request_id", None)
        record.request_id = request_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, so logs can be searched by request id."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key in ("task_id", "task_name", "programme"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
