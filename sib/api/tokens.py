"""API token endpoints: obtain one with a username and password, revoke one's own."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sib.api.scoped import request_user
from sib.tokens import token_expires_at, token_issue, token_revoke


class TokenObtainApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(source="key")
        expires_at = serializers.SerializerMethodField()

        def get_expires_at(self, token: Token) -> str:
            return token_expires_at(token).isoformat()

    @extend_schema(
        operation_id="auth_token_create",
        request=AuthTokenSerializer,
        responses={200: OutputSerializer},
        description="Your API token, valid API_TOKEN_TTL_DAYS from its issue: the same one "
        "while it is valid, a new one once it has expired. A password change revokes it.",
    )
    def post(self, request: Request) -> Response:
        # The serializer authenticates with the request, so failed attempts count towards
        # the login lockout (django-axes) like the portal's.
        credentials = AuthTokenSerializer(data=request.data, context={"request": request})
        credentials.is_valid(raise_exception=True)
        token = token_issue(user=credentials.validated_data["user"])
        return Response(self.OutputSerializer(token).data)


class TokenRevokeApi(APIView):
    @extend_schema(
        operation_id="auth_token_revoke",
        request=None,
        responses={204: None},
        description="Revoke the caller's API token (ask for a new one to use the API again).",
    )
    def post(self, request: Request) -> Response:
        token_revoke(user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
