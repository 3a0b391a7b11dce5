"""The API's two ways of paging: by page number, and by cursor for append-only lists."""

import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request

from sib.bounds import integer_error

# Digits only (no sign, no point, no exponent), and few enough that int() is cheap.
_WHOLE = re.compile(r"[0-9]{1,18}")
_LARGEST = 10**18 - 1


def whole_parameter(request: Request, name: str, *, maximum: int) -> int | None:
    """Return query parameter `name` as a whole number from 1 to `maximum`, None if absent.

    DRF reads a page size it cannot parse (`abc`, `0`, `1e3`) as the default and an empty
    page as the first: the client gets a page it did not ask for and cannot tell. Here
    either is a 400 naming the parameter.
    """
    raw = request.query_params.get(name)
    if raw is None:
        return None
    error = (
        integer_error(int(raw), minimum=1, maximum=maximum)
        if _WHOLE.fullmatch(raw)
        else _("Must be a whole number.")
    )
    if error:
        raise ValidationError({name: [error]})
    return int(raw)


def _bounded(parameters: list[dict[str, Any]], bounds: dict[str, dict[str, int]]) -> Any:
    for parameter in parameters:
        parameter["schema"].update(bounds.get(parameter["name"], {}))
    return parameters


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    # A page is a number; `?page=last` (DRF's) is not documented, so not read.
    last_page_strings = ()

    def get_page_size(self, request: Request) -> int:
        # Over the maximum is read as the maximum (a client asking for "everything").
        asked = whole_parameter(request, self.page_size_query_param, maximum=_LARGEST)
        return min(asked, self.max_page_size) if asked else self.page_size

    def get_page_number(self, request: Request, paginator: Any) -> int:
        # Past the last page stays DRF's 404 ("Invalid page"): the number itself is fine.
        return whole_parameter(request, self.page_query_param, maximum=_LARGEST) or 1

    def get_schema_operation_parameters(self, view: Any) -> Any:
        return _bounded(
            super().get_schema_operation_parameters(view),
            {
                self.page_query_param: {"minimum": 1},
                self.page_size_query_param: {"minimum": 1},
            },
        )


class AppendOnlyCursorPagination(CursorPagination):
    """Page an append-only list by its id: a keyset, so no COUNT(*) and no OFFSET.

    The cost of a page does not grow with the list (a page-number paginator counts every
    row, 114 ms at a million ledger transactions), and a client following `next` misses no
    row appended meanwhile: new rows only ever come after the cursor.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "id"

    def get_page_size(self, request: Request) -> int:
        # Over the maximum is read as the maximum (a client asking for "everything").
        asked = whole_parameter(request, self.page_size_query_param, maximum=_LARGEST)
        return min(asked, self.max_page_size) if asked else self.page_size

    def get_schema_operation_parameters(self, view: Any) -> Any:
        return _bounded(
            super().get_schema_operation_parameters(view),
            {self.page_size_query_param: {"minimum": 1}},
        )
