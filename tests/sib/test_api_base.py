"""The API base every endpoint inherits: problem details, request ids, schema and docs,
pagination and Idempotency-Key.

Test-only views below are served through this module's own URLconf, next to the real one.
"""

import re
from html.parser import HTMLParser

import pytest
from django.http import Http404
from django.urls import include, path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from sib.api.idempotency import idempotency_key, idempotent
from sib.api.pagination import Pagination
from sib.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.sib.test_api_base")]

PROBLEM = "application/problem+json"
OFF_SITE = re.compile(r"^(https?:)?//")


# --- Test-only views ----------------------------------------------------------------------


class LineSerializer(serializers.Serializer):
    label = serializers.CharField()
    amount = serializers.IntegerField(min_value=0)


class PaymentSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=10)
    lines = LineSerializer(many=True)


class ValidatingView(APIView):
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        serializer = PaymentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.data, status=201)


class MissingView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        raise Http404("No such payment.")


class PrivateView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"user": request.user.get_username()})


class StaffOnlyView(APIView):
    def get(self, request: Request) -> Response:
        if not request.user.is_staff:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return Response({})


performed: list[dict[str, object]] = []


class IdempotentView(APIView):
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        def perform() -> tuple[int, object]:
            serializer = PaymentSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            performed.append(serializer.validated_data)
            return 201, {"number": len(performed), **serializer.data}

        return idempotent(
            scope="test",
            key=idempotency_key(request) or "",
            operation="create-payment",
            body=request.data,
            perform=perform,
        )


urlpatterns = [
    path("test/validating/", ValidatingView.as_view()),
    path("test/missing/", MissingView.as_view()),
    path("test/private/", PrivateView.as_view()),
    path("test/staff-only/", StaffOnlyView.as_view()),
    path("test/idempotent/", IdempotentView.as_view()),
    path("", include("sib.urls")),
]


@pytest.fixture
def api() -> APIClient:
    # Messages are translated; English keeps the assertions on wording readable.
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


# --- Problem details ----------------------------------------------------------------------


def test_validation_error_lists_each_field_by_its_path(api):
    response = api.post(
        "/test/validating/",
        {"reference": "x" * 11, "lines": [{"label": "a", "amount": 1}, {"amount": -5}]},
        format="json",
    )

    body = assert_problem(response, 400)
    assert body["instance"] == "/test/validating/"
    assert {error["field"] for error in body["errors"]} == {
        "reference",
        "lines[1].label",
        "lines[1].amount",
    }
    assert all(error["message"] for error in body["errors"])


def test_not_found_is_a_problem(api):
    body = assert_problem(api.get("/test/missing/"), 404)
    assert "errors" not in body


def test_anonymous_caller_is_challenged_with_a_problem(api):
    response = api.get("/test/private/")

    body = assert_problem(response, 401)
    assert response["WWW-Authenticate"] == "Token"
    assert "credentials" in body["detail"]


def test_a_bad_token_is_refused_with_a_problem(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    body = assert_problem(api.get("/test/private/"), 401)
    assert "token" in body["detail"].lower()


def test_token_authentication_works_and_forbidden_is_a_problem(api):
    from rest_framework.authtoken.models import Token

    user = User.objects.create_user("someone", password="a-long-passphrase-1")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    assert api.get("/test/private/").json() == {"user": "someone"}
    assert_problem(api.get("/test/staff-only/"), 403)


# --- Request id ---------------------------------------------------------------------------


def test_a_sane_request_id_is_echoed(api):
    response = api.get("/test/missing/", HTTP_X_REQUEST_ID="client-1234.abc_Z")
    assert response["X-Request-ID"] == "client-1234.abc_Z"
    assert response.json()["request_id"] == "client-1234.abc_Z"


def test_a_request_id_is_made_when_none_is_sent(api):
    assert re.fullmatch(r"[0-9a-f]{32}", api.get("/healthz")["X-Request-ID"])


@pytest.mark.parametrize("bad", ["has spaces", "x" * 65, "semi;colon", "new\\nline"])
def test_a_malformed_request_id_is_replaced(api, bad):
    returned = api.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
    assert returned != bad
    assert re.fullmatch(r"[0-9a-f]{32}", returned)


# --- Schema and docs ----------------------------------------------------------------------


class _Assets(HTMLParser):
    """Collect script and stylesheet addresses, and whether any script is inline."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script":
            if named.get("src"):
                self.urls.append(named["src"] or "")
            else:
                self.inline_scripts += 1
        elif tag == "link" and named.get("href"):
            self.urls.append(named["href"] or "")


def _docs_assets(api: APIClient, url: str) -> _Assets:
    response = api.get(url)
    assert response.status_code == 200
    parser = _Assets()
    parser.feed(response.content.decode())
    return parser


def test_schema_is_served_as_openapi_3(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_swagger_ui_loads_nothing_from_another_site(api):
    assets = _docs_assets(api, "/api/docs/")

    assert assets.urls, "expected the page to load the bundled UI"
    assert [url for url in assets.urls if OFF_SITE.match(url)] == []


def test_swagger_ui_has_no_inline_script_the_csp_would_block(api):
    # The CSP allows scripts from this site only (script-src 'self').
    assert _docs_assets(api, "/api/docs/").inline_scripts == 0


def test_no_other_docs_page_links_off_site(api):
    # drf-spectacular's ReDoc page loads Google Fonts: it must stay unrouted.
    assert api.get("/api/redoc/").status_code == 404


# --- Pagination ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [("", Pagination.page_size), ("?page_size=7", 7), ("?page_size=100000", 500)],
)
def test_page_size_is_capped_at_the_maximum(query, expected):
    request = Request(APIRequestFactory().get(f"/anything/{query}"))
    assert Pagination.max_page_size == 500
    assert Pagination().get_page_size(request) == expected


# --- Idempotency-Key ----------------------------------------------------------------------

PAYMENT = {"reference": "P-1", "lines": [{"label": "training", "amount": 800}]}


@pytest.fixture
def fresh_log():  # type: ignore[no-untyped-def]
    performed.clear()
    yield performed
    performed.clear()


def post_idempotent(api: APIClient, body: dict, key: str | None = "key-1"):  # type: ignore[no-untyped-def]
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post("/test/idempotent/", body, format="json", **headers)


def test_the_same_key_and_body_replays_the_first_response(api, fresh_log):
    first = post_idempotent(api, PAYMENT)
    again = post_idempotent(api, PAYMENT)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert len(fresh_log) == 1


def test_the_same_key_with_another_body_is_a_conflict_naming_the_fields(api, fresh_log):
    post_idempotent(api, PAYMENT)
    changed = {**PAYMENT, "lines": [{"label": "training", "amount": 900}]}

    body = assert_problem(post_idempotent(api, changed), 409)

    assert body["differing_fields"] == ["lines"]
    assert len(fresh_log) == 1


def test_the_same_body_under_another_key_runs_again(api, fresh_log):
    post_idempotent(api, PAYMENT, key="key-1")
    second = post_idempotent(api, PAYMENT, key="key-2")

    assert second.status_code == 201
    assert second.json()["number"] == 2


def test_a_failed_request_is_not_remembered(api, fresh_log):
    failed = post_idempotent(api, {**PAYMENT, "lines": [{"label": "x", "amount": -1}]})
    assert_problem(failed, 400)

    # The client corrects the body and retries with the same key: it runs, no conflict.
    retried = post_idempotent(api, PAYMENT)
    assert retried.status_code == 201
    assert len(fresh_log) == 1


def test_a_missing_key_is_a_validation_problem(api, fresh_log):
    body = assert_problem(post_idempotent(api, PAYMENT, key=None), 400)
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert fresh_log == []
