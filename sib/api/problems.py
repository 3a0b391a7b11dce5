"""Every API error as RFC 9457 problem details, with field errors under `errors`.

{"type": "about:blank", "title": "Invalid input.", "status": 400,
 "detail": "...", "instance": "/api/...", "request_id": "...",
 "errors": [{"field": "amount", "message": "..."}]}

A service's refusal (`sib.exceptions.ApplicationError`) adds the rule's `code`:
{"status": 409, "code": "result_not_verified", "detail": "Only a verified result...", ...}
"""

import logging
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from sib.exceptions import ApplicationError
from sib.observability import current_request_id

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PROBLEM_CONTENT_TYPE = "application/problem+json"

logger = logging.getLogger(__name__)

# SQLSTATEs of a failure that is over once the transaction is tried again: serialization
# failure, deadlock, and the server ending the connection (shutdown, crash, terminated).
TRANSIENT_SQLSTATES = {"40001", "40P01", "57P01", "57P02", "57P03"}


class DatabaseBusy(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail: "StrOrPromise" = gettext_lazy(
        "The database could not complete this request now; nothing was written. "
        "Send it again (with the same Idempotency-Key)."
    )
    default_code = "database_busy"
    # Seconds, sent as Retry-After (DRF's handler reads `wait`).
    wait = 1


def _transient(exc: Exception) -> bool:
    """Return whether a database error is one a retry of the whole request gets past."""
    if isinstance(exc, InterfaceError):
        return True  # the connection was closed under the request
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    # No SQLSTATE: the connection itself broke (the server went away mid-query).
    return sqlstate is None or sqlstate in TRANSIENT_SQLSTATES or sqlstate.startswith("08")


# The title of a service's refusal, by status: the kind of problem, its detail the rule.
_TITLES: dict[int, "StrOrPromise"] = {
    status.HTTP_400_BAD_REQUEST: gettext_lazy("Invalid input."),
    # DRF's own titles (and their translations), as before for a 403 or a 404.
    status.HTTP_403_FORBIDDEN: cast("StrOrPromise", exceptions.PermissionDenied.default_detail),
    status.HTTP_404_NOT_FOUND: cast("StrOrPromise", exceptions.NotFound.default_detail),
    status.HTTP_409_CONFLICT: gettext_lazy("The request conflicts with the current state."),
}


def problem_response(
    *,
    status_code: int,
    title: str,
    detail: str = "",
    errors: list[dict[str, str]] | None = None,
    instance: str = "",
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status_code,
        "detail": detail or title,
        "instance": instance,
        "request_id": current_request_id(),
    }
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def flatten_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested errors into a list of {field, message}; paths like `lines[1].amount`."""
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            if isinstance(key, int):
                # DRF reports a nested list's errors as {index: errors}: same path as a list.
                path = f"{prefix}[{key}]"
            else:
                name = "" if key == "non_field_errors" else str(key)
                path = f"{prefix}.{name}" if prefix and name else (name or prefix)
            out.extend(flatten_errors(value, path))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [{"field": prefix, "message": str(item)} for item in detail]
        out = []
        for index, item in enumerate(detail):
            out.extend(flatten_errors(item, f"{prefix}[{index}]"))
        return out
    return [{"field": prefix, "message": str(detail)}]


def application_problem(exc: ApplicationError, *, instance: str = "") -> Response:
    """Report a service's refusal: its status, its rule `code`, its translated message."""
    message = str(exc)
    return problem_response(
        status_code=exc.status,
        title=str(_TITLES.get(exc.status, _TITLES[status.HTTP_400_BAD_REQUEST])),
        detail=message,
        errors=[{"field": exc.field, "message": message}] if exc.field else None,
        instance=instance,
        extra={"code": exc.code, **exc.extra},
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    instance = request.get_full_path() if request is not None else ""
    if isinstance(exc, ApplicationError):
        set_rollback()  # as DRF's handler does: a refused request writes nothing
        return application_problem(exc, instance=instance)
    if isinstance(exc, DjangoValidationError):
        # Services raise Django's ValidationError; the API reports it like a serializer's.
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if _transient(exc):
        # The request's transaction rolled back whole (a serialization failure, a deadlock,
        # a dropped connection): the client may retry, and no 500 hides a transient cause.
        logger.warning("transient database failure: %s", exc)
        exc = DatabaseBusy()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        # Keep the rule that refused (four eyes, the role it takes): a bare "permission
        # denied" leaves the user guessing.
        exc = exceptions.PermissionDenied(str(exc) if exc.args and str(exc) else None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return problem_response(
            status_code=response.status_code,
            title=_("Invalid input."),
            detail=_("The request has invalid fields; see errors."),
            errors=flatten_errors(exc.detail),
            instance=instance,
        )
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    extra = getattr(exc, "extra", None)
    problem = problem_response(
        status_code=response.status_code,
        title=str(getattr(exc, "default_detail", "Error")),
        detail=str(detail) if not isinstance(detail, dict | list) else "",
        errors=flatten_errors(detail) if isinstance(detail, dict | list) else None,
        instance=instance,
        extra=extra,
    )
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            problem[header] = response[header]
    return problem
