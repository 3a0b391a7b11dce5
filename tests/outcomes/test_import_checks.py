"""The portal's CSV import checks the whole file first, shows what it will make, and imports
exactly the file checked once confirmed (outcomes.import_checks)."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from outcomes import services
from outcomes.csv_import import results_import
from outcomes.import_checks import import_check, import_checks_prune
from outcomes.models import (
    ImportBatch,
    ImportJob,
    ImportJobStatus,
    ParticipantRecord,
    Result,
)
from outcomes.portal.import_previews import import_inspector
from payments.models import LedgerTransaction, Leg
from sib.celery import app as celery_app
from sib.models import ChainEntry, OutboxMessage
from sib.scoping import programme_access
from tests.portal.language import page_findings

pytestmark = pytest.mark.django_db

HEADER = "participant_id,metric,cohort,period,date_achieved\n"
# Three people in work in cohort 1's first half, one in cohort 2's.
FILE = HEADER + (
    "P-101,in-work-6m,c1,2026-h1,2026-03-01\n"
    "P-102,in-work-6m,c1,2026-h1,2026-03-02\n"
    "P-103,in-work-6m,c1,2026-h1,2026-03-03\n"
    "P-201,in-work-6m,c2,2026-h1,2026-04-01\n"
)


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def verified_cell(cast):
    """Cohort 1's first half already holds a verified result: two people in work (6 000 €)."""
    earlier = HEADER + (
        "P-001,in-work-6m,c1,2026-h1,2026-02-01\nP-002,in-work-6m,c1,2026-h1,2026-02-02\n"
    )
    summary = results_import(
        programme=cast.programme, user=cast.evaluator, stream=io.BytesIO(earlier.encode())
    )
    result = Result.objects.get(pk=summary.result_ids[0])
    services.result_verify(result=result, user=cast.lead)
    return result


def _client(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _check(client: Client, cast, content: str = FILE):
    return client.post(
        f"/programmes/{cast.programme.pk}/results/import/",
        {
            "file": SimpleUploadedFile("people.csv", content.encode(), "text/csv"),
            "stage": "interim",
        },
    )


def _confirm(client: Client, cast, job: int, sha256: str):
    return client.post(
        f"/programmes/{cast.programme.pk}/results/import/confirm/",
        {"job": job, "sha256": sha256},
        follow=True,
    )


def _counts() -> dict[str, int]:
    return {
        "results": Result.objects.count(),
        "participants": ParticipantRecord.objects.count(),
        "batches": ImportBatch.objects.count(),
        "ledger": LedgerTransaction.objects.count() + Leg.objects.count(),
        "chain": ChainEntry.objects.count(),
        "outbox": OutboxMessage.objects.count(),
    }


def _hidden(response, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', response.content.decode())
    assert match, f"no {name} on the page"
    return match.group(1)


def test_checking_a_file_writes_no_result_record_ledger_chain_or_outbox_row(
    cast, media, verified_cell
):
    before = _counts()
    response = _check(_client(cast.evaluator), cast)
    assert response.status_code == 200
    assert b"data-confirm" in response.content
    assert _counts() == before
    # Only the upload waits, as a pending check that is nobody's import yet.
    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.CHECKED
    assert default_storage.exists(job.file.name)


def test_a_refused_file_lists_every_bad_row_and_keeps_nothing(cast, media):
    bad = FILE + "P-301,in-work-6m,c9,2026-h1,2026-03-01\nP-302,in-work-6m,c1,2026-h1,2026-02-30\n"
    before = _counts()
    response = _check(_client(cast.evaluator, "fr"), cast, bad)
    body = response.content.decode()
    assert 'data-rule="unknown_cohort"' in body and 'data-rule="bad_date"' in body
    assert "Refusé" in body or "refusé" in body
    assert b"data-confirm" not in response.content
    assert _counts() == before
    assert not ImportJob.objects.exists()
    assert not list(media.rglob("*.csv"))


def test_the_preview_counts_results_records_and_what_each_cell_holds(cast, media, verified_cell):
    """The file makes one result per cell, valued at its number of records:
    c1/2026-h1: 3 records, beside the verified result of 2 (participant files add up:
    other people), so the cell is marked as holding a verified result, effect "adds";
    c2/2026-h1: 1 record, a new cell.
    Totals: 2 results, 3 + 1 = 4 records, 1 cell already verified.
    """
    response = _check(_client(cast.evaluator), cast)
    body = response.content.decode()
    assert 'data-total="results">2 submitted results' in body
    assert 'data-total="records">4 participant records' in body
    assert 'data-total="cells-verified">1 cell already holds' in body
    cards = {card.split('"', 1)[0]: card for card in body.split('<li class="card" data-cell="')[1:]}
    c1 = cards["in-work-6m/c1/2026-h1"]
    assert 'data-status="verified"' in c1
    assert f'data-in-cell="{verified_cell.pk}" data-effect="adds"' in c1
    assert re.search(r'data-figure="records">3<', c1)
    c2 = cards["in-work-6m/c2/2026-h1"]
    assert 'data-status="new"' in c2
    assert re.search(r'data-figure="records">1<', c2)


def test_an_evaluator_sees_the_cells_but_no_money(cast, media, verified_cell):
    response = _check(_client(cast.evaluator), cast)
    assert b"data-import-cells" in response.content
    assert b"data-import-money" not in response.content
    assert b"data-payer" not in response.content


def test_a_payment_viewer_sees_what_each_payer_would_owe(cast, media, verified_cell):
    """Rate card 3 000 € per person in work, one payer at 100 %.
    Due now: the verified 2 people = 2 × 3 000 = 6 000 €.
    The file adds 3 + 1 = 4 people = 4 × 3 000 = 12 000 €; after: 18 000 €.
    The same figures the engine books, read by the fund manager's access (who may see
    money); nothing is kept.
    """
    access = programme_access(user=cast.manager, programme_id=cast.programme.pk)
    before = _counts()
    with translation.override("en"):  # the amounts read "€6,000.00"
        _job, preview = import_check(
            programme=cast.programme,
            user=cast.evaluator,
            stream=io.BytesIO(FILE.encode()),
            inspect=import_inspector(access),
        )
    assert _counts() == before
    (html,) = preview.previews
    payer = f"{cast.programme.slug}-payer"
    row = html[html.index(f'data-payer="{payer}"') :]
    assert row.startswith(f'data-payer="{payer}" data-due-after="1800000"')
    assert re.search(r'data-figure="total_due">\D*6\D000\D00<', html)
    assert re.search(r'data-figure="total_change">\D*12\D000\D00<', html)
    assert re.search(r'data-figure="total_after">\D*18\D000\D00<', html)


def test_confirming_imports_the_checked_file_exactly_once(cast, media, verified_cell):
    client = _client(cast.evaluator)
    checked = _check(client, cast)
    job, sha256 = _hidden(checked, "job"), _hidden(checked, "sha256")
    before = _counts()
    response = _confirm(client, cast, int(job), sha256)
    assert response.status_code == 200
    assert b"4 records imported" in response.content
    assert Result.objects.count() == before["results"] + 2
    assert ParticipantRecord.objects.count() == before["participants"] + 4
    finished = ImportJob.objects.get(pk=job)
    assert finished.status == ImportJobStatus.DONE
    # The outbox message the worker would run finds the job done; a second click is refused.
    assert OutboxMessage.objects.filter(task_name="outcomes.import_job_run").count() == 1
    again = _confirm(client, cast, int(job), sha256)
    assert b"confirmed already" in again.content
    assert ParticipantRecord.objects.count() == before["participants"] + 4


REFUSALS = {
    "unknown_job": "Aucun fichier vérifié n’attend ici votre confirmation",
    "other_digest": "Ce n’est pas le fichier vérifié",
    "not_a_digest": "Ce fichier n’a pas été vérifié ici",
    "not_a_number": "Ce fichier n’a pas été vérifié ici",
    "file_changed": "Ce n’est pas le fichier vérifié",
}


@pytest.mark.parametrize("tamper", REFUSALS)
def test_a_tampered_or_unknown_confirmation_is_refused_cleanly(cast, media, tamper):
    client = _client(cast.evaluator, "fr")
    checked = _check(client, cast)
    job, sha256 = _hidden(checked, "job"), _hidden(checked, "sha256")
    data = {"job": job, "sha256": sha256}
    if tamper == "unknown_job":
        data["job"] = str(int(job) + 100)
    elif tamper == "other_digest":
        data["sha256"] = "0" * 64
    elif tamper == "not_a_digest":
        data["sha256"] = "<script>"
    elif tamper == "not_a_number":
        data["job"] = "x"
    else:
        stored = ImportJob.objects.get(pk=job).file.name
        with default_storage.open(stored, "wb") as stream:
            stream.write((FILE + "P-999,in-work-6m,c1,2026-h1,2026-03-09\n").encode())
    response = client.post(
        f"/programmes/{cast.programme.pk}/results/import/confirm/", data, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("/results/import/")
    message = re.search(r'<p class="message error">([^<]*)</p>', response.content.decode())
    assert message and REFUSALS[tamper] in message.group(1)
    assert not Result.objects.exists()
    assert ImportJob.objects.get(pk=job).status == ImportJobStatus.CHECKED


def test_another_users_check_cannot_be_confirmed(cast, media):
    checked = _check(_client(cast.evaluator), cast)
    job, sha256 = _hidden(checked, "job"), _hidden(checked, "sha256")
    response = _confirm(_client(cast.lead), cast, int(job), sha256)
    assert b"No checked file awaits your confirmation" in response.content
    assert not Result.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("funder", 403), ("manager", 403), ("stranger", 404)])
def test_only_those_who_submit_results_may_check_or_confirm(cast, media, who, status):
    checked = _check(_client(cast.evaluator), cast)
    job, sha256 = _hidden(checked, "job"), _hidden(checked, "sha256")
    client = _client(getattr(cast, who))
    assert _check(client, cast).status_code == status
    assert _confirm(client, cast, int(job), sha256).status_code == status
    assert not Result.objects.exists()
    assert ImportJob.objects.get().status == ImportJobStatus.CHECKED


def test_a_pending_check_is_no_import_job_for_the_api(cast, media):
    _check(_client(cast.evaluator), cast)
    job = ImportJob.objects.get()
    response = cast.client(cast.evaluator).get(
        f"/api/programmes/{cast.programme.pk}/results/import/jobs/{job.pk}/"
    )
    assert response.status_code == 404


def test_a_new_check_replaces_the_users_earlier_one(cast, media):
    client = _client(cast.evaluator)
    _check(client, cast)
    first = ImportJob.objects.get()
    _check(client, cast)
    assert list(ImportJob.objects.values_list("status", flat=True)) == ["checked"]
    assert not ImportJob.objects.filter(pk=first.pk).exists()


def test_checks_never_confirmed_are_pruned_after_a_day(
    cast, media, django_capture_on_commit_callbacks
):
    _check(_client(cast.evaluator), cast)
    job = ImportJob.objects.get()
    assert import_checks_prune() == 0
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_checks_prune", stdout=io.StringIO())
    assert not ImportJob.objects.exists()
    assert not default_storage.exists(job.file.name)


def test_confirming_checks_the_file_again_and_lists_what_changed_since(cast, media):
    """The same four people are imported through the API between the check and the
    confirmation: the confirmed import finds them recorded and refuses the whole file."""
    client = _client(cast.evaluator)
    checked = _check(client, cast)
    job, sha256 = _hidden(checked, "job"), _hidden(checked, "sha256")
    results_import(programme=cast.programme, user=cast.evaluator, stream=io.BytesIO(FILE.encode()))
    before = _counts()
    response = _confirm(client, cast, int(job), sha256)
    assert response.content.count(b'data-rule="duplicate_in_database"') == 4
    after = _counts()
    # Only the job's outbox message was written (the queueing); no result, no record.
    assert after.pop("outbox") == before.pop("outbox") + 1
    assert after == before
    assert ImportJob.objects.get(pk=job).status == ImportJobStatus.REFUSED


def test_beat_prunes_unconfirmed_checks_daily():
    celery_app.loader.import_default_modules()
    celery_app.finalize()
    entry = celery_app.conf.beat_schedule["import checks prune"]
    assert entry["task"] == "outcomes.import_checks_prune"
    assert entry["schedule"] == 24 * 3600
    assert "outcomes.import_checks_prune" in celery_app.tasks


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_preview_speaks_one_language(cast, media, verified_cell, language):
    response = _check(_client(cast.evaluator, language), cast)
    assert b"data-import-cells" in response.content
    # Data, not the portal's text: the language switch's "English", the username, the
    # file's name (people.csv).
    data = frozenset({"english", "evaluator", "people"})
    findings = page_findings(
        response.content.decode(),
        url="import-check",
        role="evaluator",
        language=language,
        allowed=data,
    )
    assert "\n".join(str(f) for f in findings) == ""
