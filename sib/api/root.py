"""GET /api/: where to start. The entry points that need no id, and the full description."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

# Name in the answer -> URL name. Everything else hangs off a programme (see the schema).
ENTRY_POINTS = {
    "token": "api:token",
    "token_revoke": "api:token-revoke",
    "organisations": "api:organisation-list",
    "organisation_create": "api:organisation-create",
    "programmes": "api:programme-list",
    "programme_create": "api:programme-create",
    "schema": "schema",
    "docs": "api-docs",
}


class ApiRootApi(APIView):
    # Open to anyone: it names routes, not data, and tells a new client where to log in.
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="api_root",
        responses=inline_serializer(
            "ApiRoot",
            {name: serializers.URLField() for name in ENTRY_POINTS},
        ),
        description="The API's entry points that need no id. Routes under one programme "
        "(`/api/programmes/{programme_id}/...`) are listed in the schema (`schema`, `docs`).",
    )
    def get(self, request: Request) -> Response:
        return Response({name: reverse(url, request=request) for name, url in ENTRY_POINTS.items()})
