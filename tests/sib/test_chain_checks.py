"""Chain checks run in the worker, never inside a web request (issue 16, part 4).

The portal asks; a worker on the reports queue runs `chain_verify` and stores the
result; the page follows the check and shows it. One check is pending per programme at a
time, a redelivered message changes nothing, and beat checks every programme daily.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payments import services
from sib.chain_checks import chain_check_request, chain_check_run, chain_checks_schedule
from sib.models import ChainCheck, ChainCheckStatus, OutboxMessage
from tests.owner import as_owner_bypassing_triggers
from tests.payments.ledger_support import make_deal
from tests.support import wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal():  # type: ignore[no-untyped-def]
    return make_deal("chain-check")


def _page(deal, client: Client) -> str:  # type: ignore[no-untyped-def]
    return client.get(reverse("portal:ledger-verify", args=[deal.programme.pk])).content.decode()


@pytest.fixture
def manager(deal) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(deal.manager)
    client.cookies["django_language"] = "en"
    return client


def test_the_page_never_recomputes_the_chain_in_the_request(deal, manager):
    url = reverse("portal:ledger-verify", args=[deal.programme.pk])
    with CaptureQueriesContext(connection) as queries:
        manager.get(url, {"run": 1})  # the former way to run it
        manager.post(url)
    assert not any("sib_chain_entry" in q["sql"] and "canonical" in q["sql"] for q in queries)
    check = ChainCheck.objects.get(programme=deal.programme)
    assert check.status == ChainCheckStatus.QUEUED and check.requested_by == deal.manager
    assert OutboxMessage.objects.filter(
        task_name="sib.chain_check_run", kwargs={"check_id": check.pk}
    ).exists()
    page = _page(deal, manager)
    assert 'data-check-status="queued"' in page
    assert 'http-equiv="refresh"' in page  # it follows the check
    assert "Check now" not in page and "Check again" not in page


def test_asking_again_while_a_check_is_pending_joins_it(deal, manager):
    url = reverse("portal:ledger-verify", args=[deal.programme.pk])
    manager.post(url)
    manager.post(url)
    first = chain_check_request(programme=deal.programme, user=None)
    assert ChainCheck.objects.filter(programme=deal.programme).count() == 1
    assert first.requested_by == deal.manager


def test_the_worker_stores_the_result_the_page_shows(deal, manager):
    check = chain_check_request(programme=deal.programme, user=deal.manager)
    done = chain_check_run(check_id=check.pk)
    assert done.status == ChainCheckStatus.DONE
    assert done.result["ok"] is True and done.result["entries"] > 0
    page = _page(deal, manager)
    assert 'data-ok="true"' in page and done.result["head"] in page
    assert 'http-equiv="refresh"' not in page
    assert "Check again" in page


def test_a_redelivered_check_changes_nothing(deal):
    check = chain_check_request(programme=deal.programme, user=None)
    first = chain_check_run(check_id=check.pk)
    again = chain_check_run(check_id=check.pk)
    assert again.finished_at == first.finished_at and again.result == first.result


def test_a_tampered_chain_is_named_by_the_workers_check(deal, manager):
    drawdown = services.drawdown_record(
        commitment=deal.commitment, called_on=date(2026, 2, 1), amount=1000, actor=None
    )
    as_owner_bypassing_triggers(
        "UPDATE payments_leg SET debit = debit + 1 WHERE transaction_id = %s AND debit > 0",
        [drawdown.transaction_id],
    )
    check = chain_check_request(programme=deal.programme, user=deal.manager)
    result = chain_check_run(check_id=check.pk).result
    assert result["ok"] is False
    assert "hash mismatch" in result["first_break"]["reason"]
    assert 'data-ok="false"' in _page(deal, manager)


def test_the_daily_schedule_checks_each_programme_not_checked_for_a_day(deal):
    other = make_deal("chain-check-other")
    recent = chain_check_request(programme=other.programme, user=None)
    chain_check_run(check_id=recent.pk)
    assert chain_checks_schedule() == 1  # `other` was checked within the day
    queued = ChainCheck.objects.get(status=ChainCheckStatus.QUEUED)
    assert queued.programme == deal.programme and queued.requested_by is None
    ChainCheck.objects.filter(pk=recent.pk).update(requested_at=timezone.now() - timedelta(days=2))
    chain_check_run(check_id=queued.pk)
    assert chain_checks_schedule() == 1  # now `other` only


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_check_asked_for_on_the_page(worker):  # type: ignore[no-untyped-def]
    deal = make_deal("chain-check-worker")
    client = Client()
    client.force_login(deal.manager)
    client.post(reverse("portal:ledger-verify", args=[deal.programme.pk]))
    check = wait_for(
        lambda: ChainCheck.objects.filter(
            programme=deal.programme, status=ChainCheckStatus.DONE
        ).first(),
        timeout=60,
    )
    assert check.result["ok"] is True


def test_beat_asks_for_the_daily_checks_and_the_check_runs_with_the_long_reads(settings):
    from sib.celery import app

    app.loader.import_default_modules()
    app.finalize()
    schedule = app.conf.beat_schedule
    assert schedule["chain checks"]["task"] == "sib.chain_checks_schedule"
    assert schedule["chain checks"]["schedule"] == 24 * 3600
    assert settings.CELERY_TASK_ROUTES["sib.chain_check_run"] == {"queue": settings.QUEUE_REPORTS}
