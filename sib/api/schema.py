"""The OpenAPI schema as the API answers: paginated lists, and every error as a problem."""

from typing import Any

from drf_spectacular import openapi
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from sib.api.pagination import Pagination
from sib.api.problems import PROBLEM_CONTENT_TYPE

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The programme a request was made on: most links go on within the same programme.
SAME_PROGRAMME = "$request.path.programme_id"
# The id of what the response returns (created, or replayed under its Idempotency-Key).
RETURNED_ID = "$response.body#/id"


def link(operation_id: str, **parameters: str) -> dict[str, Any]:
    """Return an OpenAPI link from a success response to `operation_id`.

    Each parameter of the target is a runtime expression (`$response.body#/id`,
    `$request.path.programme_id`). A view lists its links in `response_links`; a client
    (and schemathesis' stateful run, tests/test_api_fuzz.py) follows them from what it
    created to where it is read or acted on.
    """
    return {"operationId": operation_id, "parameters": parameters}


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Path of the field, e.g. `lines[1].amount`.")
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as sib.api.problems writes them."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()
    request_id = serializers.CharField(allow_null=True)
    # The metaclass moves declared fields off the class: Serializer.errors stays intact.
    errors = ProblemFieldErrorSerializer(many=True, required=False)  # type: ignore[assignment]


def _paginates(view: Any, method: str) -> bool:
    """Whether the view's handler answers through a paginator (sib.api.scoped: `paginate`,
    or `paginate_rows` for rows written out by hand)."""
    handler = getattr(view, method.lower(), None)
    code = getattr(handler, "__code__", None)
    return code is not None and bool({"paginate", "paginate_rows"} & set(code.co_names))


class AutoSchema(openapi.AutoSchema):
    """Name nested serializers after their API class; wrap paginated lists; document errors.

    One API class per operation means many nested `InputSerializer`s; without the name
    prefix they would collide as one schema component (`ProgrammeCreateInputRequest`).

    API views are plain APIViews that call `paginate()` (sib.api.scoped): a list whose
    handler does so is described as `{count, next, previous, results}` with `page` and
    `page_size` parameters, read from the code so the schema cannot drift from it.

    Every operation documents the problem responses it can give (`Problem`,
    `application/problem+json`): 400 (bad query or body), 401 where credentials are read,
    403 unless it is open to anyone, 404 where it names an object or a page, 409/413/415
    for writes (and 409 for a read whose view sets `read_conflicts`: a download of what
    is not ready, or no longer intact), 429 where a throttle applies.

    A view's `response_links` ({name: link(...)}) are declared on its success responses.
    """

    def _get_serializer_name(
        self, serializer: Any, direction: str, bypass_extensions: bool = False
    ) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        cls = serializer if isinstance(serializer, type) else serializer.__class__
        outer, _, _inner = cls.__qualname__.rpartition(".")
        if outer:
            return outer.rsplit(".", 1)[-1].removesuffix("Api") + name
        return name

    def _get_paginator(self) -> Any:
        # Only a handler that pages; each with its own paginator (page numbers, or a cursor
        # for append-only lists). Every ProgrammeApi carries a pagination_class, so DRF's
        # rule (a list view with a paginator) would also wrap the lists that do not page.
        if _paginates(self.view, self.method):
            return (getattr(self.view, "pagination_class", None) or Pagination)()
        return None

    def map_parsers(self) -> list[Any]:
        # A JSON operation documents JSON only. Its views also parse forms (the browsable
        # API's), where DRF reads an empty field as "not given": `start_date=` in a form
        # was a 200 that changed nothing, where JSON's "" is refused. Uploads keep theirs.
        media_types: list[Any] = super().map_parsers()
        json_only = [media_type for media_type in media_types if media_type == "application/json"]
        return json_only or media_types

    def _open_to_anyone(self) -> bool:
        return any(isinstance(permission, AllowAny) for permission in self.view.get_permissions())

    def _error_codes(self) -> list[str]:
        codes = ["400"]
        if self.view.get_authenticators():
            codes.append("401")  # credentials sent and refused, even where none are needed
        if not self._open_to_anyone():
            codes.append("403")
        if "{" in self.path or _paginates(self.view, self.method):
            codes.append("404")
        if self.method in UNSAFE_METHODS:
            if not self._open_to_anyone():
                codes.append("409")
            codes += ["413", "415"]
        elif getattr(self.view, "read_conflicts", False):
            codes.append("409")
        if getattr(self.view, "throttle_classes", None) and getattr(
            self.view, "throttle_scope", None
        ):
            codes.append("429")
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction)
        links: dict[str, Any] = getattr(self.view, "response_links", {})
        for code, response in responses.items():
            if links and str(code).startswith("2"):
                response["links"] = {name: dict(target) for name, target in links.items()}
        for code in self._error_codes():
            if code in responses:
                continue
            responses[code] = self._get_response_for_code(
                ProblemSerializer, code, media_types=[PROBLEM_CONTENT_TYPE], direction=direction
            )
        return responses
