"""Results, decisions, reviews, evidence and import batches are never changed or removed,
nor are their events in the audit history."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction

from outcomes import services
from outcomes.evidence import evidence_attach
from outcomes.models import (
    Cohort,
    Evidence,
    ImportBatch,
    MeasurementPeriod,
    Metric,
    ParticipantRecord,
    Result,
    ResultDecision,
    ResultReview,
)
from sib.db.insert_only import InsertOnlyError

pytestmark = pytest.mark.django_db

INSERT_ONLY = [ImportBatch, Result, ResultDecision, ResultReview, Evidence]


@pytest.fixture
def rows(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    programme = cast.programme
    upload = SimpleUploadedFile(
        "p.csv",
        b"participant_id,metric,cohort,period,date_achieved\nP-1,in-work-6m,c1,2026-h1,2026-03-01\n",
    )
    cast.client(cast.evaluator).post(
        f"/api/programmes/{programme.pk}/results/import/", {"file": upload}, format="multipart"
    )
    result = services.result_submit(
        programme=programme,
        user=cast.evaluator,
        metric=Metric.objects.get(programme=programme, code="employment-rate"),
        cohort=Cohort.objects.get(programme=programme, code="c1"),
        period=MeasurementPeriod.objects.get(programme=programme, code="2026-h1"),
        stage="final",
        values=services.ResultValues(
            value=Decimal("40"),
            comparison_value=Decimal("30"),
            sample_size=100,
            comparison_sample_size=100,
        ),
    )
    # Evidence goes with the submission, before its decision.
    evidence_attach(
        result=result,
        user=cast.evaluator,
        uploaded=SimpleUploadedFile("e.pdf", b"%PDF-1.4 x", "application/pdf"),
    )
    services.result_verify(result=result, user=cast.lead)
    services.result_review(result=result, user=cast.funder, verdict="accepted", comment="")
    return {model: model.objects.first() for model in INSERT_ONLY}


@pytest.mark.parametrize("model", INSERT_ONLY, ids=lambda m: m.__name__)
def test_insert_only_rows_refuse_save_update_and_delete(rows, model):
    row = rows[model]
    with pytest.raises(InsertOnlyError):
        row.save()
    with pytest.raises(InsertOnlyError):
        row.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(id=row.pk)
    with pytest.raises(DatabaseError), transaction.atomic():
        model.objects.filter(pk=row.pk).delete()


@pytest.mark.parametrize("model", INSERT_ONLY, ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET id = id", "DELETE FROM {table}", "TRUNCATE {table} CASCADE"],
)
def test_app_role_cannot_update_delete_or_truncate(rows, model, statement):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == connection.settings_dict["APP_ROLE"]
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            cursor.execute(statement.format(table=model._meta.db_table))
    assert model.objects.filter(pk=rows[model].pk).exists()


def test_participant_records_are_never_updated_nor_deleted_while_their_result_stands(rows):
    record = ParticipantRecord.objects.get()
    with pytest.raises(IntegrityError, match="never updated"), transaction.atomic():
        ParticipantRecord.objects.filter(pk=record.pk).update(achieved_on="2026-03-02")
    with pytest.raises(IntegrityError, match="only with a rejected result"), transaction.atomic():
        ParticipantRecord.objects.filter(pk=record.pk).delete()
    with (
        connection.cursor() as cursor,
        pytest.raises(DatabaseError, match="permission denied"),
        transaction.atomic(),
    ):
        cursor.execute("TRUNCATE outcomes_participant_record")
    assert ParticipantRecord.objects.filter(pk=record.pk).exists()


def test_duplicate_participant_record_is_refused_by_the_unique_constraint(rows):
    record = ParticipantRecord.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ParticipantRecord.objects.create(
            result_id=record.result_id,
            metric_id=record.metric_id,
            cohort_id=record.cohort_id,
            period_id=record.period_id,
            pseudonym=record.pseudonym,
            achieved_on=record.achieved_on,
        )


def test_a_pseudonym_is_stored_as_32_bytes_and_read_as_the_same_hex(rows):
    """The column holds the HMAC's 32 bytes (migration 0014); Python, the API and the
    chain digests see the 64 lowercase hex characters the import computed."""
    record = ParticipantRecord.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT octet_length(pseudonym), encode(pseudonym, 'hex') "
            "FROM outcomes_participant_record WHERE id = %s",
            [record.pk],
        )
        assert cursor.fetchone() == (32, record.pseudonym)
    assert ParticipantRecord.objects.filter(pseudonym=record.pseudonym).get() == record


def test_a_pseudonym_that_is_not_32_bytes_is_refused_by_the_database(rows):
    record = ParticipantRecord.objects.get()
    for short_or_long in (record.pseudonym[:62], record.pseudonym + "00"):
        with (
            pytest.raises(IntegrityError, match="participant_pseudonym_is_32_bytes"),
            transaction.atomic(),
        ):
            ParticipantRecord.objects.create(
                result_id=record.result_id,
                metric_id=record.metric_id,
                cohort_id=record.cohort_id,
                period_id=record.period_id,
                pseudonym=short_or_long,
                achieved_on=record.achieved_on,
            )


@pytest.mark.parametrize("model", INSERT_ONLY, ids=lambda m: m.__name__)
def test_each_fact_is_an_audit_event_that_nobody_may_change(rows, model):
    row = rows[model]
    event = row.events.get()  # django-pghistory: one "insert" event per fact
    assert event.pgh_label == "insert"
    assert event.pgh_obj_id == row.pk
    table = type(event)._meta.db_table
    with connection.cursor() as cursor:
        for statement in (
            f"UPDATE {table} SET pgh_label = 'edited'",
            f"DELETE FROM {table}",
            f"TRUNCATE {table}",
        ):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cursor.execute(statement)
    # Not even the owner, whose privileges allow it: the append-only trigger refuses.
    with (
        pytest.raises(DatabaseError, match="Cannot update or delete rows"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f'SET ROLE "{connection.settings_dict["OWNER"]["USER"]}"')
        cursor.execute(f"UPDATE {table} SET pgh_label = 'edited'")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")  # the failed savepoint took SET ROLE back
        assert cursor.fetchone()[0] == connection.settings_dict["APP_ROLE"]
    assert type(event).objects.get(pk=event.pk).pgh_label == "insert"
