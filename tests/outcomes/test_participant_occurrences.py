"""A metric that pays a participant more than once keeps one record per occurrence.

`payable_per_participant` N or "each" (docs/programme-format.md): the same participant
may be recorded on several days of one period, once per day. A metric paid once keeps one
record per participant, metric and period. The database keeps both rules (migration
outcomes.0013), the participants CSV names the rows that break them.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from outcomes import services
from outcomes.models import ParticipantRecord, Result
from tests.support import pseudonym_of

pytestmark = pytest.mark.django_db

HEADER = "participant_id,metric,cohort,period,date_achieved\n"
D = datetime.date


@pytest.fixture
def housed(cast):
    """`housed` pays each occurrence; the cast's `in-work-6m` pays once (the default)."""
    services.metric_create(
        programme=cast.programme,
        code="housed",
        name="Moves into settled housing",
        definition="Signs a tenancy after a period without one.",
        unit="participant_outcome",
        mechanism={"kind": "rate_card", "price": 150_000, "payable_per_participant": "each"},
        cohorts=["c1", "c2"],
        periods=["2026-h1", "2026-h2"],
    )
    return cast


def upload(cast, content: str):
    return cast.client(cast.evaluator).post(
        f"/api/programmes/{cast.programme.pk}/results/import/",
        {"file": SimpleUploadedFile("people.csv", content.encode(), content_type="text/csv")},
        format="multipart",
    )


def rules(response) -> list[tuple[int, str]]:
    return [(error["line"], error["rule"]) for error in response.json()["errors"]]


def test_a_participant_housed_twice_in_one_period_is_two_records(housed):
    response = upload(
        housed,
        HEADER + "P-1,housed,c1,2026-h1,2026-02-01\nP-1,housed,c1,2026-h1,2026-05-12\n",
    )
    assert response.status_code == 201, response.content
    records = ParticipantRecord.objects.order_by("achieved_on")
    assert [(r.achieved_on, r.occurrence) for r in records] == [
        (D(2026, 2, 1), D(2026, 2, 1)),
        (D(2026, 5, 12), D(2026, 5, 12)),
    ]
    assert Result.objects.get().value == 2


def test_the_same_occurrence_twice_is_refused_in_the_file_and_against_the_database(housed):
    row = "P-1,housed,c1,2026-h1,2026-02-01\n"
    assert rules(upload(housed, HEADER + row + row)) == [(3, "duplicate_in_file")]
    assert upload(housed, HEADER + row).status_code == 201
    again = upload(housed, HEADER + "P-1,housed,c1,2026-h1,2026-03-01\n" + row)
    assert rules(again) == [(3, "duplicate_in_database")]


def test_a_metric_paid_once_still_takes_one_record_per_participant_and_period(housed):
    response = upload(
        housed,
        HEADER + "P-1,in-work-6m,c1,2026-h1,2026-02-01\nP-1,in-work-6m,c1,2026-h1,2026-05-12\n",
    )
    assert rules(response) == [(3, "duplicate_in_file")]
    assert not ParticipantRecord.objects.exists()


def submitted(cast, metric: str) -> Result:
    return Result.objects.create(
        programme=cast.programme,
        metric=cast.programme.metrics.get(code=metric),
        cohort=cast.programme.cohorts.get(code="c1"),
        period=cast.programme.periods.get(code="2026-h1"),
        stage="interim",
        value=1,
        from_participants=True,
        submitted_by=cast.evaluator,
    )


def record(result: Result, on: datetime.date, occurrence: datetime.date | None, who: str = "p"):
    return ParticipantRecord.objects.create(
        result=result,
        metric_id=result.metric_id,
        cohort_id=result.cohort_id,
        period_id=result.period_id,
        pseudonym=pseudonym_of(who),
        achieved_on=on,
        occurrence=occurrence,
    )


@pytest.mark.parametrize(
    ("metric", "occurrence"),
    [
        ("in-work-6m", D(2026, 2, 1)),  # paid once: no occurrence
        ("housed", None),  # paid each time: the occurrence is the date
        ("housed", D(2026, 2, 2)),  # ... and not another one
    ],
)
def test_the_database_refuses_an_occurrence_that_does_not_follow_the_metric(
    housed, metric, occurrence
):
    result = submitted(housed, metric)
    with (
        pytest.raises(IntegrityError, match="occurrence does not follow its metric"),
        transaction.atomic(),
    ):
        record(result, D(2026, 2, 1), occurrence)
    assert not ParticipantRecord.objects.exists()


def test_the_database_keeps_one_record_per_period_for_a_metric_paid_once(housed):
    once = submitted(housed, "in-work-6m")
    record(once, D(2026, 2, 1), None)
    with (
        pytest.raises(IntegrityError, match="participant_once_per_metric_period_occurrence"),
        transaction.atomic(),
    ):
        record(once, D(2026, 5, 1), None)
    each = submitted(housed, "housed")
    record(each, D(2026, 2, 1), D(2026, 2, 1))
    record(each, D(2026, 5, 1), D(2026, 5, 1))
    with (
        pytest.raises(IntegrityError, match="participant_once_per_metric_period_occurrence"),
        transaction.atomic(),
    ):
        record(each, D(2026, 5, 1), D(2026, 5, 1))
    assert ParticipantRecord.objects.count() == 3
