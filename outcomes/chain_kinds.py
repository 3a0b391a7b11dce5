"""How outcome events enter the programme's hash chain (sib.chain).

Chained: every decision (verified or rejected), every amendment when it is submitted,
every funder review and every dispute withdrawn. The canonical bytes carry the result
as submitted, so changing a stored value, or a participant record behind it, breaks the
chain at that entry.
"""

from collections.abc import Iterable
from typing import Any

from django.db import connection

from outcomes.models import DisputeWithdrawal, Result, ResultDecision, ResultReview
from sib.chain import ChainKind, canonical_json, chain_kind_register

DECISION = "outcomes.decision"
AMENDMENT = "outcomes.amendment"
REVIEW = "outcomes.review"
WITHDRAWAL = "outcomes.dispute_withdrawal"

_RESULT_FIELDS = (
    "id",
    "programme_id",
    "metric__code",
    "cohort__code",
    "period__code",
    "stage",
    "value",
    "comparison_value",
    "sample_size",
    "comparison_sample_size",
    "amends_id",
    "amendment_reason",
    "from_participants",
    "submitted_by_id",
    "submitted_at",
    "additional",
    "additional_reason",
)


def _text(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)  # Decimal: as PostgreSQL returns it, the same on append and on verify


def _results(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    rows = Result.objects.filter(id__in=list(ids)).values(*_RESULT_FIELDS)
    out = {}
    for row in rows:
        data = {key: _text(value) for key, value in row.items()}
        # Only a result declared additional carries the two fields (outcomes migration
        # 0012): the results chained before they existed keep their canonical bytes.
        if not data["additional"]:
            del data["additional"], data["additional_reason"]
        out[row["id"]] = data
    return out


def participant_digests(result_ids: list[int]) -> dict[int, str]:
    """Return the SHA-256 of each result's participant records (sorted by pseudonym).

    The pseudonyms are hashed as the hex text they were stored as before migration 0014,
    so that digests already in the chain still verify.
    """
    if not result_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT result_id, encode(sha256(convert_to(
                string_agg(hex || ':' || achieved_on::text, ',' ORDER BY hex), 'UTF8')), 'hex')
            FROM (SELECT result_id, encode(pseudonym, 'hex') AS hex, achieved_on
                  FROM outcomes_participant_record WHERE result_id = ANY(%s)) r
            GROUP BY result_id
            """,
            [result_ids],
        )
        return dict(cursor.fetchall())


def decision_canonical(ids: list[str]) -> Iterable[tuple[str, str]]:
    rows = list(
        ResultDecision.objects.filter(id__in=[int(i) for i in ids]).values(
            "id",
            "result_id",
            "decision",
            "decided_by_id",
            "comment",
            "participants_sha256",
            "decided_at",
        )
    )
    results = _results(row["result_id"] for row in rows)
    # A verified result's records are rehashed from the rows themselves, so editing one
    # breaks the chain; a rejected result's rows are gone and its stored digest stands.
    digests = participant_digests(
        [
            row["result_id"]
            for row in rows
            if row["decision"] == "verified" and results[row["result_id"]]["from_participants"]
        ]
    )
    for row in rows:
        data = {key: _text(value) for key, value in row.items()}
        if row["result_id"] in digests:
            data["participants_sha256"] = digests[row["result_id"]]
        data["result"] = results.get(row["result_id"])
        yield str(row["id"]), canonical_json(data)


def amendment_canonical(ids: list[str]) -> Iterable[tuple[str, str]]:
    for result_id, data in _results(int(i) for i in ids).items():
        yield str(result_id), canonical_json(data)


def review_canonical(ids: list[str]) -> Iterable[tuple[str, str]]:
    rows = ResultReview.objects.filter(id__in=[int(i) for i in ids]).values(
        "id",
        "result_id",
        "verdict",
        "reviewer_id",
        "comment",
        "reviewed_at",
        "payer_id",
        "payer_recorded",
    )
    for row in rows:
        data = {key: _text(value) for key, value in row.items()}
        # The payer a dispute holds is chained with it; reviews made before outcomes
        # migration 0011 recorded none and keep the canonical form they were chained with.
        if not data.pop("payer_recorded"):
            del data["payer_id"]
        yield str(row["id"]), canonical_json(data)


def withdrawal_canonical(ids: list[str]) -> Iterable[tuple[str, str]]:
    rows = DisputeWithdrawal.objects.filter(id__in=[int(i) for i in ids]).values(
        "id", "review_id", "review__result_id", "withdrawn_by_id", "reason", "withdrawn_at"
    )
    for row in rows:
        data = {key: _text(value) for key, value in row.items()}
        data["result_id"] = data.pop("review__result_id")
        yield str(row["id"]), canonical_json(data)


def canonical_of(kind: str, object_id: int) -> str:
    """Return the canonical JSON of one record, read back from the database."""
    loader = {
        DECISION: decision_canonical,
        AMENDMENT: amendment_canonical,
        REVIEW: review_canonical,
        WITHDRAWAL: withdrawal_canonical,
    }
    return dict(loader[kind]([str(object_id)]))[str(object_id)]


# Every record of each kind is chained (chain completeness, sib.chain_completeness).
_RECORDS_OF_RESULTS = (
    "SELECT x.id::text AS object_id FROM {table} x JOIN outcomes_result r ON r.id = x.result_id "
    "WHERE r.programme_id = %(programme_id)s"
)
DECISION_RECORDS = _RECORDS_OF_RESULTS.format(table="outcomes_result_decision")
REVIEW_RECORDS = _RECORDS_OF_RESULTS.format(table="outcomes_result_review")
WITHDRAWAL_RECORDS = (
    "SELECT w.id::text AS object_id FROM outcomes_dispute_withdrawal w "
    "JOIN outcomes_result_review v ON v.id = w.review_id "
    "JOIN outcomes_result r ON r.id = v.result_id WHERE r.programme_id = %(programme_id)s"
)
AMENDMENT_RECORDS = (
    "SELECT id::text AS object_id FROM outcomes_result "
    "WHERE programme_id = %(programme_id)s AND amends_id IS NOT NULL"
)


# The same, for the routine check: only the records above %(after_key)s, by their primary key.
_SINCE_OF_RESULTS = (
    "SELECT x.id AS object_key FROM {table} x JOIN outcomes_result r ON r.id = x.result_id "
    "WHERE r.programme_id = %(programme_id)s AND x.id > %(after_key)s"
)
DECISION_SINCE = _SINCE_OF_RESULTS.format(table="outcomes_result_decision")
REVIEW_SINCE = _SINCE_OF_RESULTS.format(table="outcomes_result_review")
WITHDRAWAL_SINCE = (
    "SELECT w.id AS object_key FROM outcomes_dispute_withdrawal w "
    "JOIN outcomes_result_review v ON v.id = w.review_id "
    "JOIN outcomes_result r ON r.id = v.result_id "
    "WHERE r.programme_id = %(programme_id)s AND w.id > %(after_key)s"
)
AMENDMENT_SINCE = (
    "SELECT id AS object_key FROM outcomes_result WHERE programme_id = %(programme_id)s "
    "AND amends_id IS NOT NULL AND id > %(after_key)s"
)


def register() -> None:
    for name, loader, records, since in (
        (DECISION, decision_canonical, DECISION_RECORDS, DECISION_SINCE),
        (AMENDMENT, amendment_canonical, AMENDMENT_RECORDS, AMENDMENT_SINCE),
        (REVIEW, review_canonical, REVIEW_RECORDS, REVIEW_SINCE),
        (WITHDRAWAL, withdrawal_canonical, WITHDRAWAL_RECORDS, WITHDRAWAL_SINCE),
    ):
        chain_kind_register(ChainKind(name, loader, records_sql=records, records_since_sql=since))
