"""A base for API views on one programme's data: every one goes through sib.scoping."""

from collections.abc import Callable
from typing import Any

from rest_framework.exceptions import NotAuthenticated
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.views import APIView

from sib.api.pagination import Pagination
from sib.api.representation import represent_many
from sib.models import User
from sib.permissions import Action
from sib.scoping import ProgrammeAccess, programme_access


def request_user(request: Request) -> User:
    """Return the authenticated user (every API view requires authentication)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user


class ProgrammeApi(APIView):
    """Resolve `programme_id` from the URL for the user, requiring `action` (404/403)."""

    action_required: Action = Action.PROGRAMME_VIEW
    # Append-only lists page by cursor (sib.api.pagination.AppendOnlyCursorPagination).
    pagination_class: type[BasePagination] = Pagination

    def access(
        self, request: Request, programme_id: int, action: Action | None = None
    ) -> ProgrammeAccess:
        return programme_access(
            user=request_user(request),
            programme_id=programme_id,
            action=action or self.action_required,
        )

    def paginate(self, request: Request, queryset: Any, serializer_class: type) -> Any:
        paginator = self.pagination_class()
        page: list[Any] | None = paginator.paginate_queryset(queryset, request, view=self)
        data = represent_many(serializer_class, page if page is not None else [])
        return paginator.get_paginated_response(data)

    def paginate_rows(
        self, request: Request, queryset: Any, rows: Callable[[list[Any]], list[Any]]
    ) -> Any:
        """Page `queryset` as `paginate` does, each page turned into JSON rows by `rows`."""
        paginator = self.pagination_class()
        page: list[Any] | None = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(rows(page if page is not None else []))
