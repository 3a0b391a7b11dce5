"""Schedules and statements are served from the stored canonical bytes.

Once the worker stored the actual schedule at the chain head, a GET reads those bytes and
sends them as they are: a few queries whatever the programme's size, no lock, no parsing
and no re-serialising. The ETag is the SHA-256 of the body, so a client that already holds
the document gets a 304. An investor's statement is its own slice of the actual document,
stored beside it by the same recompute. The recompute commits the actual schedule before
it computes any projection.
"""

import hashlib
import json
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from payments.models import ContractVersion, ScheduleVersion, StatementVersion
from payments.outcome_payments import RECOMPUTE_TASK
from payments.schedule_builder import RULES_VERSION
from payments.schedules import programme_recompute
from payments.selectors_schedules import investor_statement
from sib.chain import chain_head
from sib.models import Membership, PartyRole, User
from sib.outbox import outbox_enqueue
from tests.payments.schedule_support import D, Deal, jardins, org

pytestmark = pytest.mark.django_db

INVESTOR = "banque-solidaire"
OTHER = "fonds-impact"


def served_deal(slug: str, people: int = 10) -> Deal:
    deal = jardins(slug)
    deal.draw("senior", INVESTOR, D(2026, 1, 15), 60_000_000)
    deal.draw("junior", OTHER, D(2026, 1, 15), 20_000_000)
    deal.participants("training", "c1", "2026", [(f"p{i}", D(2026, 5, 1)) for i in range(people)])
    deal.receive("etat", 1_000_000, D(2026, 12, 1), advance=True)
    return deal


@pytest.fixture
def deal() -> Deal:
    return served_deal("served")


def manager(deal: Deal) -> APIClient:
    client = APIClient()
    client.force_authenticate(deal.manager)
    return client


def investor(deal: Deal, organisation: str = INVESTOR) -> APIClient:
    user = User.objects.create(username=f"{deal.programme.slug}-{organisation}")
    Membership.objects.create(
        user=user,
        programme=deal.programme,
        role="investor",
        organisation=org(organisation, "investor"),
    )
    client = APIClient()
    client.force_authenticate(user)
    return client


def stored(deal: Deal, scenario: str = "actual") -> ScheduleVersion:
    return ScheduleVersion.objects.get(
        programme=deal.programme,
        chain_head=chain_head(programme_id=deal.programme.pk),
        scenario=scenario,
        rules_version=RULES_VERSION,
    )


def get(client: APIClient, url: str, **headers: str):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    return response, [query["sql"] for query in queries.captured_queries]


def takes_no_lock(sql: list[str]) -> bool:
    locking = ("FOR UPDATE", "FOR SHARE", "FOR KEY SHARE", "FOR NO KEY UPDATE", "ADVISORY")
    return not any(word in query.upper() for query in sql for word in locking)


# --- the schedule -------------------------------------------------------------------------


def test_the_schedule_is_the_stored_bytes_read_in_two_queries_without_a_lock(deal: Deal):
    programme_recompute(programme_id=deal.programme.pk)
    response, sql = get(manager(deal), f"/api/programmes/{deal.programme.pk}/schedule/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == stored(deal).content.encode()
    # The user's memberships with the programme; the stored bytes at the head with their
    # digest (a client holding no ETag is sent them whatever it is).
    assert len(sql) == 2, sql
    assert takes_no_lock(sql), sql


def test_the_schedule_costs_the_same_queries_for_a_programme_ten_times_larger():
    counts = []
    for slug, people in (("served-small", 5), ("served-large", 50)):
        deal = served_deal(slug, people)
        programme_recompute(programme_id=deal.programme.pk)
        response, sql = get(manager(deal), f"/api/programmes/{deal.programme.pk}/schedule/")
        assert response.status_code == 200
        counts.append(len(sql))
    assert counts[0] == counts[1]


def test_the_served_schedule_is_the_json_the_api_answered_before(deal: Deal):
    # Before: the stored text parsed, then rendered again by DRF's JSON renderer.
    programme_recompute(programme_id=deal.programme.pk)
    response = manager(deal).get(f"/api/programmes/{deal.programme.pk}/schedule/")
    assert response.content == JSONRenderer().render(json.loads(stored(deal).content))


def test_the_etag_is_the_sha256_of_the_body(deal: Deal):
    programme_recompute(programme_id=deal.programme.pk)
    response = manager(deal).get(f"/api/programmes/{deal.programme.pk}/schedule/")
    digest = hashlib.sha256(response.content).hexdigest()
    assert response["ETag"] == f'"{digest}"'
    assert digest == stored(deal).sha256
    assert response["Cache-Control"] == "private, no-cache"


def test_a_client_holding_the_document_gets_a_304_without_the_bytes(deal: Deal):
    programme_recompute(programme_id=deal.programme.pk)
    client, url = manager(deal), f"/api/programmes/{deal.programme.pk}/schedule/"
    etag = client.get(url)["ETag"]
    response, sql = get(client, url, if_none_match=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert len(sql) == 2, sql  # the document's bytes are not read
    assert not any('"content"' in query for query in sql), sql
    assert get(client, url, if_none_match=f'"other", W/{etag}')[0].status_code == 304
    assert get(client, url, if_none_match='"0000"')[0].status_code == 200


def test_a_client_holding_an_older_document_gets_the_new_one(deal: Deal):
    programme_recompute(programme_id=deal.programme.pk)
    client, url = manager(deal), f"/api/programmes/{deal.programme.pk}/schedule/"
    etag = client.get(url)["ETag"]
    deal.receive("etat", 500_000, D(2027, 1, 15), advance=True)
    response = client.get(url, headers={"if_none_match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response.json()["chain_head"] == chain_head(programme_id=deal.programme.pk)


def test_before_the_recompute_the_computed_schedule_has_the_etag_it_will_be_stored_with(
    deal: Deal,
):
    client, url = manager(deal), f"/api/programmes/{deal.programme.pk}/schedule/"
    computed = client.get(url)
    programme_recompute(programme_id=deal.programme.pk)
    served = client.get(url)
    assert computed.content == served.content
    assert computed["ETag"] == served["ETag"] == f'"{stored(deal).sha256}"'


def test_a_default_scenario_is_served_from_its_stored_bytes_with_its_etag(deal: Deal):
    programme_recompute(programme_id=deal.programme.pk)
    client, url = manager(deal), f"/api/programmes/{deal.programme.pk}/schedule/scenarios/75/"
    response, sql = get(client, url)
    assert response.content == stored(deal, "projection-75").content.encode()
    assert response["ETag"] == f'"{stored(deal, "projection-75").sha256}"'
    assert takes_no_lock(sql), sql
    assert client.get(url, headers={"if_none_match": response["ETag"]}).status_code == 304


# --- the investor's statement -------------------------------------------------------------


def test_the_recompute_stores_each_investors_statement_with_the_actual_schedule(deal: Deal):
    programme_recompute(programme_id=deal.programme.pk)
    statements = StatementVersion.objects.filter(schedule=stored(deal))
    parties = deal.programme.parties.filter(role=PartyRole.INVESTOR)
    investors = set(parties.values_list("organisation__slug", flat=True))
    assert {INVESTOR, "fondation-terre", OTHER} <= investors
    assert {s.investor for s in statements} == investors
    for statement in statements:
        assert statement.sha256 == hashlib.sha256(statement.content.encode()).hexdigest()


def test_a_stored_statement_is_what_computing_it_gives(deal: Deal):
    computed = investor_statement(programme=deal.programme, investor=INVESTOR)
    programme_recompute(programme_id=deal.programme.pk)
    assert investor_statement(programme=deal.programme, investor=INVESTOR) == computed


def test_an_investor_is_served_its_stored_statement_without_a_lock_and_with_its_etag(
    deal: Deal,
):
    programme_recompute(programme_id=deal.programme.pk)
    client, url = investor(deal), f"/api/programmes/{deal.programme.pk}/statement/"
    response, sql = get(client, url)
    assert response.status_code == 200
    own = StatementVersion.objects.get(schedule=stored(deal), investor=INVESTOR)
    assert response.content == own.content.encode()
    assert response["ETag"] == f'"{own.sha256}"'
    # The memberships with the programme and the investor's organisation; the bytes and
    # their digest.
    assert len(sql) == 2, sql
    assert takes_no_lock(sql), sql
    assert client.get(url, headers={"if_none_match": response["ETag"]}).status_code == 304


def test_an_investors_statement_names_no_other_investor(deal: Deal):
    programme_recompute(programme_id=deal.programme.pk)
    body = investor(deal).get(f"/api/programmes/{deal.programme.pk}/statement/").content
    assert INVESTOR.encode() in body
    assert OTHER.encode() not in body
    assert b"fondation-terre" not in body


def test_an_investor_cannot_reach_another_investors_stored_statement(deal: Deal):
    programme_recompute(programme_id=deal.programme.pk)
    response = investor(deal).get(
        f"/api/programmes/{deal.programme.pk}/statement/?investor={OTHER}"
    )
    assert response.status_code == 404


def test_a_fund_manager_is_served_the_named_investors_stored_statement(deal: Deal):
    programme_recompute(programme_id=deal.programme.pk)
    response = manager(deal).get(f"/api/programmes/{deal.programme.pk}/statement/?investor={OTHER}")
    own = StatementVersion.objects.get(schedule=stored(deal), investor=OTHER)
    assert response.content == own.content.encode()


# --- the recompute: the actual schedule first ---------------------------------------------


def _seen_by_another_connection(programme_id: int) -> set[str]:
    """Return the scenarios stored at the head as a reader on its own connection sees them."""
    seen: set[str] = set()

    def read() -> None:
        try:
            head = chain_head(programme_id=programme_id)
            seen.update(
                ScheduleVersion.objects.filter(
                    programme_id=programme_id, chain_head=head
                ).values_list("scenario", flat=True)
            )
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return seen


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("through", ["service", "outbox task"])
def test_the_actual_schedule_is_committed_before_any_projection_is_computed(
    through: str, monkeypatch: pytest.MonkeyPatch
):
    from payments import schedules, tasks

    deal = served_deal(f"served-first-{through.replace(' ', '-')}")
    real = schedules.schedule_compute
    seen: list[set[str]] = []

    def compute(state, scenario):  # type: ignore[no-untyped-def]
        if scenario.is_projection:
            seen.append(_seen_by_another_connection(deal.programme.pk))
        return real(state, scenario)

    monkeypatch.setattr(schedules, "schedule_compute", compute)
    if through == "service":
        programme_recompute(programme_id=deal.programme.pk)
    else:
        message = outbox_enqueue(
            task_name=RECOMPUTE_TASK, kwargs={"programme_id": deal.programme.pk}
        )
        tasks.programme_recompute.apply(
            kwargs={"programme_id": deal.programme.pk}, task_id=str(message.id)
        ).get()
        message.refresh_from_db()
        assert message.completed_at is not None
    # Before the first projection, a reader already saw the actual schedule; before each
    # later one, the projections stored so far as well.
    assert seen[0] == {"actual"}
    assert [len(s) for s in seen] == [1, 2, 3, 4, 5]
    assert len(_seen_by_another_connection(deal.programme.pk)) == 6


# --- a stored document is a cache of its rules ---------------------------------------------


def test_a_document_stored_by_older_rules_is_never_served(deal: Deal):
    # Projections stored before "projections count the payments received" kept the old
    # rule's figures at their heads and were served byte for byte, and a recompute at the
    # same head found them and stored nothing: the rules version is in the key.
    head = chain_head(programme_id=deal.programme.pk)
    stale = '{"stale": true}'
    ScheduleVersion.objects.create(
        programme=deal.programme,
        chain_head=head,
        scenario="projection-0",
        is_projection=True,
        contract_version=ContractVersion.objects.filter(programme=deal.programme).latest("id"),
        content=stale,
        sha256=hashlib.sha256(stale.encode()).hexdigest(),
        rules_version=RULES_VERSION - 1,
    )
    url = f"/api/programmes/{deal.programme.pk}/schedule/scenarios/0/"
    assert b"stale" not in manager(deal).get(url).content  # computed afresh meanwhile
    programme_recompute(programme_id=deal.programme.pk)
    served = manager(deal).get(url).content
    assert served == stored(deal, "projection-0").content.encode()
    assert b"stale" not in served


def test_a_recompute_stores_the_current_rules_beside_rows_of_older_ones(deal: Deal):
    head = chain_head(programme_id=deal.programme.pk)
    old = ScheduleVersion.objects.filter(programme=deal.programme, chain_head=head)
    assert not old.exists()
    programme_recompute(programme_id=deal.programme.pk)
    first = set(old.values_list("scenario", "rules_version"))
    assert {version for _, version in first} == {RULES_VERSION}
    programme_recompute(programme_id=deal.programme.pk)  # at the same head: nothing new
    assert set(old.values_list("scenario", "rules_version")) == first
