"""Output serializers applied once-built (sib.api.representation) answer as when built per
request, and reading a programme costs one query for the user's standing (issue 16)."""

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from outcomes.apis.results import ResultOutputSerializer
from outcomes.selectors import result_list
from sib.api.representation import represent, represent_many
from sib.apis import ProgrammeOutputSerializer
from sib.models import User
from sib.scoping import programme_access
from sib.selectors import programme_list
from tests.reports.conftest import make_bond

pytestmark = pytest.mark.django_db


def _json(data: object) -> bytes:
    return JSONRenderer().render(data)


def test_programme_represented_as_its_serializer_says() -> None:
    bond = make_bond()
    programme = programme_access(user=bond.manager, programme_id=bond.programme.pk).programme
    listed = list(programme_list(user=bond.manager))

    assert _json(represent(ProgrammeOutputSerializer, programme)) == _json(
        ProgrammeOutputSerializer(programme).data
    )
    assert _json(represent_many(ProgrammeOutputSerializer, listed)) == _json(
        ProgrammeOutputSerializer(listed, many=True).data
    )


def test_results_represented_as_their_serializer_says() -> None:
    bond = make_bond()
    results = list(result_list(programme=bond.programme))
    assert results

    assert _json(represent_many(ResultOutputSerializer, results)) == _json(
        ResultOutputSerializer(results, many=True).data
    )


def test_a_members_access_to_a_programme_costs_one_query() -> None:
    bond = make_bond()
    with CaptureQueriesContext(connection) as queries:
        access = programme_access(user=bond.investor, programme_id=bond.programme.pk)
        organisations = [m.organisation for m in access.memberships]
        assert access.programme.name  # read, not fetched again
        assert all(m.programme is access.programme for m in access.memberships)

    assert len(queries) == 1
    assert [o.slug for o in organisations if o] == [bond.orgs["bank"].slug]


def test_without_a_role_the_programme_is_not_found_unless_staff() -> None:
    bond = make_bond()
    staff = User.objects.create_user("staff-reader", is_staff=True)

    with pytest.raises(Http404):
        programme_access(user=bond.stranger, programme_id=bond.programme.pk)
    with pytest.raises(Http404):
        programme_access(user=staff, programme_id=bond.programme.pk + 10_000)
    with pytest.raises(Http404):
        programme_access(user=bond.manager, slug="no-such-programme")
    assert programme_access(user=staff, programme_id=bond.programme.pk).memberships == ()
    assert programme_access(user=staff, slug=bond.programme.slug).programme == bond.programme
