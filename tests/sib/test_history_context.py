"""Who did what (pghistory_context) is written once: the app role cannot change it at all."""

import pytest
from django.db import DatabaseError, connection, transaction
from pghistory.models import Context
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from sib.models import Programme
from tests.cast import make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def context() -> Context:
    """The context of an API call that changed a programme, made with a token."""
    cast = make_cast("context")
    manager = cast.users["fund_manager"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")
    response = client.patch(
        f"/api/programmes/{cast.own.pk}/update/",
        {"description": "Audited"},
        format="json",
        HTTP_X_REQUEST_ID="req-context-1",
    )
    assert response.status_code == 200, response.content
    assert Programme.objects.get(pk=cast.own.pk).description == "Audited"
    found = Context.objects.get(metadata__request_id="req-context-1")
    assert found.metadata["user"] == manager.pk
    return found


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE pghistory_context SET metadata = '{{\"user\": null}}' WHERE id = '{id}'",
        "DELETE FROM pghistory_context WHERE id = '{id}'",
        "TRUNCATE pghistory_context CASCADE",
        "INSERT INTO pghistory_context (id, metadata, created_at, updated_at) "
        "VALUES (gen_random_uuid(), '{{}}', now(), now())",
    ],
    ids=["update", "delete", "truncate", "insert"],
)
def test_the_app_role_cannot_write_the_history_context(context, statement):
    with (
        pytest.raises(DatabaseError, match="permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(id=context.pk))
    assert Context.objects.get(pk=context.pk).metadata == context.metadata


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE pghistory_context SET metadata = jsonb_set(metadata, '{{user}}', '1') "
        "WHERE id = '{id}'",
        "UPDATE pghistory_context SET metadata = metadata - 'url' WHERE id = '{id}'",
        "UPDATE pghistory_context SET created_at = created_at - interval '1 day' WHERE id = '{id}'",
        "DELETE FROM pghistory_context WHERE id = '{id}'",
        "TRUNCATE pghistory_context CASCADE",
    ],
    ids=["change-user", "drop-url", "backdate", "delete", "truncate"],
)
def test_not_even_the_owner_rewrites_who_did_what(context, statement):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{connection.settings_dict["OWNER"]["USER"]}"')
        cursor.execute(statement.format(id=context.pk))
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")  # the failed savepoint took SET ROLE back
        assert cursor.fetchone()[0] == connection.settings_dict["APP_ROLE"]
    assert Context.objects.get(pk=context.pk).metadata == context.metadata


def test_what_was_missing_may_still_be_added(context):
    # pghistory adds details as they become known (the user, once the API authenticates).
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{connection.settings_dict["OWNER"]["USER"]}"')
        cursor.execute(
            "UPDATE pghistory_context SET metadata = metadata || '{\"extra\": 1}' WHERE id = %s",
            [context.pk],
        )
        cursor.execute("RESET ROLE")
    assert Context.objects.get(pk=context.pk).metadata == {**context.metadata, "extra": 1}
