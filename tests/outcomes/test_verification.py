"""Four eyes, verification events, amendments, reviews, scoping and the hash chain."""

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, connections, transaction

from outcomes import services
from outcomes.models import Cohort, MeasurementPeriod, Metric, Result, ResultDecision
from outcomes.selectors import result_state
from sib.chain_verification import chain_verify
from sib.models import ChainEntry, Membership, OutboxMessage, User
from tests.outcomes.conftest import make_programme

pytestmark = pytest.mark.django_db

HEADER = "participant_id,metric,cohort,period,date_achieved\n"


def submit(cast, user=None, value="42.5", cohort="c1", stage="final") -> Result:
    programme = cast.programme
    return services.result_submit(
        programme=programme,
        user=user or cast.evaluator,
        metric=Metric.objects.get(programme=programme, code="employment-rate"),
        cohort=Cohort.objects.get(programme=programme, code=cohort),
        period=MeasurementPeriod.objects.get(programme=programme, code="2026-h1"),
        stage=stage,
        values=services.ResultValues(value=Decimal(value), comparison_value=Decimal("30")),
    )


def url(cast, result, action=""):
    return f"/api/programmes/{cast.programme.pk}/results/{result.pk}/" + (
        f"{action}/" if action else ""
    )


def test_lead_evaluator_verifies_another_evaluators_result(cast):
    result = submit(cast)
    response = cast.client(cast.lead).post(url(cast, result, "verify"), {}, format="json")
    assert response.status_code == 201, response.content
    assert result_state(result=result) == "verified"
    entry = ChainEntry.objects.get(programme=cast.programme, kind="outcomes.decision")
    assert entry.object_id == str(response.json()["id"])
    assert chain_verify(programme_id=cast.programme.pk).ok


def test_a_verification_is_in_the_audit_history_with_who_and_which_request(cast):
    result = submit(cast)
    response = cast.client(cast.lead).post(
        url(cast, result, "verify"), {}, format="json", HTTP_X_REQUEST_ID="audit-req-1"
    )
    assert response.status_code == 201, response.content
    event = ResultDecision.objects.get(result=result).events.get()
    assert (event.pgh_label, event.decision, event.decided_by_id) == (
        "insert",
        "verified",
        cast.lead.pk,
    )
    context = event.pgh_context.metadata
    assert context["user"] == cast.lead.pk
    assert context["url"] == url(cast, result, "verify")
    assert context["request_id"] == "audit-req-1"


def test_verifying_enqueues_the_payment_recomputation(cast):
    result = submit(cast)
    cast.client(cast.lead).post(url(cast, result, "verify"), {}, format="json")
    message = OutboxMessage.objects.get(task_name="payments.programme_recompute")
    assert message.kwargs == {"programme_id": cast.programme.pk}


def test_evaluator_cannot_verify_own_submission(cast):
    result = submit(cast, user=cast.lead)
    response = cast.client(cast.lead).post(url(cast, result, "verify"), {}, format="json")
    assert response.status_code == 403
    assert not ResultDecision.objects.exists()


def test_evaluator_cannot_verify_own_submission_even_writing_to_the_database(cast):
    result = submit(cast, user=cast.lead)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == connection.settings_dict["APP_ROLE"]
        with pytest.raises(IntegrityError, match="four eyes"), transaction.atomic():
            cursor.execute(
                "INSERT INTO outcomes_result_decision "
                "(result_id, decision, decided_by_id, comment, participants_sha256, decided_at) "
                "VALUES (%s, 'verified', %s, '', '', now())",
                [result.pk, cast.lead.pk],
            )
    assert not ResultDecision.objects.exists()


def test_database_refuses_a_decision_by_someone_not_lead_evaluator(cast):
    result = submit(cast)
    with pytest.raises(IntegrityError, match="not a lead evaluator"), transaction.atomic():
        ResultDecision.objects.create(result=result, decision="verified", decided_by=cast.manager)


@pytest.mark.parametrize("who", ["manager", "evaluator", "funder"])
def test_only_lead_evaluators_may_verify(cast, who):
    result = submit(cast, user=cast.lead)
    response = cast.client(getattr(cast, who)).post(url(cast, result, "verify"), {}, format="json")
    assert response.status_code == 403
    assert not ResultDecision.objects.exists()


def test_evaluator_of_programme_a_cannot_see_or_touch_programme_b(cast):
    # Its fund manager is someone else: nobody manages and verifies one programme.
    other = make_programme("other-bond", User.objects.create(username="other-manager"))
    Membership.objects.create(user=cast.stranger, programme=other, role="lead_evaluator")
    outsider = User.objects.create(username="outsider-evaluator")
    Membership.objects.create(user=outsider, programme=other, role="evaluator")
    result = submit(cast)
    client = cast.client(outsider)
    base = f"/api/programmes/{cast.programme.pk}/"
    assert client.get(base + "results/").status_code == 404
    assert client.get(url(cast, result)).status_code == 404
    assert client.post(url(cast, result, "verify"), {}, format="json").status_code == 404
    assert client.get(base + "participants/").status_code == 404
    submit_body = {
        "metric": "employment-rate",
        "cohort": "c1",
        "period": "2026-h1",
        "stage": "final",
        "value": "1",
    }
    assert client.post(base + "results/submit/", submit_body, format="json").status_code == 404
    # A lead evaluator of B is nobody on A either.
    lead_b = cast.client(cast.stranger)
    assert lead_b.post(url(cast, result, "verify"), {}, format="json").status_code == 404
    # And A's result is not reachable through B's URL.
    response = lead_b.get(f"/api/programmes/{other.pk}/results/{result.pk}/")
    assert response.status_code == 404


def test_public_funder_sees_verified_aggregates_only_and_never_participant_rows(cast):
    verified = submit(cast, cohort="c1")
    pending = submit(cast, cohort="c2")
    services.result_verify(result=verified, user=cast.lead)
    client = cast.client(cast.funder)
    listed = client.get(f"/api/programmes/{cast.programme.pk}/results/").json()["results"]
    assert [r["id"] for r in listed] == [verified.pk]
    assert client.get(url(cast, pending)).status_code == 404
    assert client.get(f"/api/programmes/{cast.programme.pk}/participants/").status_code == 403


def test_submit_via_api_then_reject_with_reason(cast):
    body = {
        "metric": "employment-rate",
        "cohort": "c1",
        "period": "2026-h1",
        "stage": "interim",
        "value": "12.5",
        "comparison_value": "10.0",
    }
    response = cast.client(cast.evaluator).post(
        f"/api/programmes/{cast.programme.pk}/results/submit/", body, format="json"
    )
    assert response.status_code == 201, response.content
    result = Result.objects.get(pk=response.json()["id"])
    assert response.json()["state"] == "submitted"
    no_reason = cast.client(cast.lead).post(url(cast, result, "reject"), {}, format="json")
    assert no_reason.status_code == 400
    rejected = cast.client(cast.lead).post(
        url(cast, result, "reject"), {"comment": "Sample too small."}, format="json"
    )
    assert rejected.status_code == 201
    assert result_state(result=result) == "rejected"
    again = cast.client(cast.lead2).post(url(cast, result, "verify"), {}, format="json")
    assert again.status_code == 409
    assert chain_verify(programme_id=cast.programme.pk).ok


def test_amendment_supersedes_a_verified_result_once_verified_itself(cast):
    original = submit(cast)
    services.result_verify(result=original, user=cast.lead)
    response = cast.client(cast.lead2).post(
        url(cast, original, "amend"),
        {"value": "40.0", "comparison_value": "30", "reason": "Two leavers counted twice."},
        format="json",
    )
    assert response.status_code == 201, response.content
    amendment = Result.objects.get(pk=response.json()["id"])
    assert amendment.amends_id == original.pk
    assert result_state(result=original) == "verified"
    # The amender may not verify their own amendment; the other lead may.
    own = cast.client(cast.lead2).post(url(cast, amendment, "verify"), {}, format="json")
    assert own.status_code == 403
    services.result_verify(result=amendment, user=cast.lead)
    assert result_state(result=original) == "superseded"
    assert result_state(result=amendment) == "verified"
    kinds = list(
        ChainEntry.objects.filter(programme=cast.programme)
        # The set-up's terms and the creator's grant, chained first.
        .exclude(kind__in=["payments.contract_version", "sib.role_change"])
        .order_by("seq")
        .values_list("kind", flat=True)
    )
    # No ledger entry between them: this comparison stays under its threshold, so neither
    # verification makes the payer owe anything (nothing to book).
    assert kinds == ["outcomes.decision", "outcomes.amendment", "outcomes.decision"]
    assert chain_verify(programme_id=cast.programme.pk).ok
    # A superseded result cannot be amended again: correct the amendment instead.
    again = cast.client(cast.lead2).post(
        url(cast, original, "amend"), {"value": "1", "reason": "x"}, format="json"
    )
    assert again.status_code == 409


def test_funder_disputes_then_an_amendment_resolves_it(cast):
    original = submit(cast)
    services.result_verify(result=original, user=cast.lead)
    client = cast.client(cast.funder)
    silent = client.post(url(cast, original, "review"), {"verdict": "disputed"}, format="json")
    assert silent.status_code == 400
    disputed = client.post(
        url(cast, original, "review"),
        {"verdict": "disputed", "comment": "The comparison group is not matched."},
        format="json",
    )
    assert disputed.status_code == 201
    assert client.get(url(cast, original)).json()["disputed"] is True
    amendment = services.result_amend(
        result=original,
        user=cast.lead2,
        reason="Re-matched comparison group after the funder's dispute.",
        stage=None,
        values=services.ResultValues(value=Decimal("38"), comparison_value=Decimal("31")),
    )
    services.result_verify(result=amendment, user=cast.lead)
    accepted = client.post(url(cast, amendment, "review"), {"verdict": "accepted"}, format="json")
    assert accepted.status_code == 201
    assert ChainEntry.objects.filter(kind="outcomes.review").count() == 2
    assert chain_verify(programme_id=cast.programme.pk).ok


def test_rejecting_a_participant_file_lets_the_corrected_file_load(cast):
    client = cast.client(cast.evaluator)
    path = f"/api/programmes/{cast.programme.pk}/results/import/"
    from django.core.files.uploadedfile import SimpleUploadedFile

    def send(text):
        upload = SimpleUploadedFile("p.csv", text.encode(), content_type="text/csv")
        return client.post(path, {"file": upload}, format="multipart")

    first = send(HEADER + "P-1,in-work-6m,c1,2026-h1,2026-03-01\n")
    assert first.status_code == 201
    result = Result.objects.get(pk=first.json()["result_ids"][0])
    services.result_reject(result=result, user=cast.lead, comment="Wrong period.")
    assert not result.participant_records.exists()
    second = send(HEADER + "P-1,in-work-6m,c1,2026-h1,2026-04-01\n")
    assert second.status_code == 201, second.content
    verified = Result.objects.get(pk=second.json()["result_ids"][0])
    services.result_verify(result=verified, user=cast.lead)
    assert chain_verify(programme_id=cast.programme.pk).ok


def test_changing_a_verified_participant_record_breaks_the_chain(cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "p.csv", (HEADER + "P-1,in-work-6m,c1,2026-h1,2026-03-01\n").encode()
    )
    response = cast.client(cast.evaluator).post(
        f"/api/programmes/{cast.programme.pk}/results/import/", {"file": upload}, format="multipart"
    )
    result = Result.objects.get(pk=response.json()["result_ids"][0])
    services.result_verify(result=result, user=cast.lead)
    assert chain_verify(programme_id=cast.programme.pk).ok
    with connection.cursor() as cursor:
        # Tamper as the schema owner with triggers off: what the chain is there to catch.
        cursor.execute(f'SET ROLE "{connection.settings_dict["OWNER"]["USER"]}"')
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE outcomes_participant_record SET achieved_on = '2026-03-02'")
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("RESET ROLE")
    check = chain_verify(programme_id=cast.programme.pk)
    assert not check.ok
    assert check.first_break.kind == "outcomes.decision"


def test_terminated_programme_accepts_no_new_results(cast):
    cast.programme.status = "terminated"
    cast.programme.termination_date = cast.programme.start_date
    cast.programme.save()
    body = {
        "metric": "employment-rate",
        "cohort": "c1",
        "period": "2026-h1",
        "stage": "final",
        "value": "1",
    }
    response = cast.client(cast.evaluator).post(
        f"/api/programmes/{cast.programme.pk}/results/submit/", body, format="json"
    )
    assert response.status_code == 400
    with pytest.raises(IntegrityError, match="accepts no new results"), transaction.atomic():
        Result.objects.create(
            programme=cast.programme,
            metric=Metric.objects.get(programme=cast.programme, code="employment-rate"),
            cohort=Cohort.objects.get(programme=cast.programme, code="c1"),
            period=MeasurementPeriod.objects.get(programme=cast.programme, code="2026-h1"),
            stage="final",
            value=1,
            submitted_by=cast.evaluator,
        )


def test_evidence_is_stored_by_sha256_with_type_and_size_limits(cast, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    result = submit(cast)
    client = cast.client(cast.evaluator)
    pdf = b"%PDF-1.7\n% evidence\n"
    response = client.post(
        url(cast, result, "evidence"),
        {"file": SimpleUploadedFile("report.pdf", pdf, "application/pdf")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    import hashlib

    digest = hashlib.sha256(pdf).hexdigest()
    assert response.json()["sha256"] == digest
    assert (tmp_path / "evidence" / str(cast.programme.pk) / digest).read_bytes() == pdf
    script = client.post(
        url(cast, result, "evidence"),
        {"file": SimpleUploadedFile("x.pdf", b"#!/bin/sh\nrm -rf /", "application/pdf")},
        format="multipart",
    )
    assert script.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_two_lead_evaluators_verifying_at_once_make_exactly_one_verification(cast):
    result = submit(cast)
    recomputes = OutboxMessage.objects.filter(task_name="payments.programme_recompute")
    queued_before = recomputes.count()  # the set-up's contract changes queued theirs
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def verify(user_id: int) -> None:
        try:
            user = User.objects.get(pk=user_id)
            fresh = Result.objects.get(pk=result.pk)
            barrier.wait(timeout=10)
            services.result_verify(result=fresh, user=user)
            outcomes.append("verified")
        except Exception as exc:  # the loser's 409, recorded for the assertion
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=verify, args=(u.pk,)) for u in (cast.lead, cast.lead2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["Conflict", "verified"]
    assert ResultDecision.objects.filter(result=result).count() == 1
    assert ChainEntry.objects.filter(kind="outcomes.decision").count() == 1
    assert recomputes.count() == queued_before + 1
    assert chain_verify(programme_id=cast.programme.pk).ok
