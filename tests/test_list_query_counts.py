"""Every API list costs the same number of queries at 10 rows as at 1,000 (issue 16).

Each case grows one list from 10 to 1,000 rows by copying a row the demo bond already has
(bulk inserts, rolled back to a savepoint before the test ends, so the deferred chain
checks never see the copies) and reads it (as the fund manager, unless only another role
may) at the largest page size, where a query per row would show most.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext

from outcomes import services as outcomes
from outcomes.models import Cohort, MeasurementPeriod, Metric, ParticipantRecord, Result
from payments.models import Account, Commitment, Drawdown, LedgerTransaction, Leg, Tranche
from sib.models import Membership, Organisation, Programme, ProgrammeParty, Role
from tests.reports.conftest import Bond, make_bond

pytestmark = pytest.mark.django_db

PAGE = "page_size=500"


def _unique_field_names(model: type[models.Model]) -> set[str]:
    names = {field.name for field in model._meta.concrete_fields if field.unique}
    for together in model._meta.unique_together:
        names |= set(together)
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            names |= set(constraint.fields)
    return names


def _copies(row: models.Model, count: int, start: int, **overrides: object) -> list[models.Model]:
    """Return `count` unsaved copies of `row`, its unique text and numbers made distinct."""
    model = type(row)
    unique = _unique_field_names(model)
    copies = []
    for number in range(start, start + count):
        values = {}
        for field in model._meta.concrete_fields:
            if field.primary_key:
                continue
            value = getattr(row, field.attname)
            if field.name in unique and not field.is_relation:
                if isinstance(value, str):
                    value = f"{value[: (field.max_length or 64) - 8]}-{number}"
                elif isinstance(value, int) and not isinstance(value, bool):
                    value = value + number * 10
            values[field.attname] = value
        values.update(overrides)
        copies.append(model(**values))
    return copies


def _grow(queryset: models.QuerySet, count: int, start: int) -> None:
    row = queryset.order_by("pk").first()
    assert row is not None, f"the bond has no {queryset.model.__name__} to copy"
    type(row).objects.bulk_create(_copies(row, count, start))


def _grow_transactions(bond: Bond, count: int, start: int) -> None:
    original = (
        LedgerTransaction.objects.filter(programme=bond.programme, reverses__isnull=True)
        .exclude(actor=None)
        .order_by("pk")
        .first()
    )
    assert original is not None
    legs = list(Leg.objects.filter(transaction=original))
    copies = LedgerTransaction.objects.bulk_create(
        _copies(original, count, start, idempotency_key="")
    )
    Leg.objects.bulk_create(
        [_copies(leg, 1, start, transaction_id=tx.pk)[0] for tx in copies for leg in legs]
    )


def _grow_drawdowns(bond: Bond, count: int, start: int) -> None:
    drawdown = Drawdown.objects.filter(programme=bond.programme).order_by("pk").first()
    assert drawdown is not None
    legs = list(Leg.objects.filter(transaction_id=drawdown.transaction_id))
    transactions = LedgerTransaction.objects.bulk_create(
        _copies(drawdown.transaction, count, start, idempotency_key="")
    )
    Leg.objects.bulk_create(
        [_copies(leg, 1, start, transaction_id=tx.pk)[0] for tx in transactions for leg in legs]
    )
    Drawdown.objects.bulk_create(
        [_copies(drawdown, 1, start, transaction_id=tx.pk)[0] for tx in transactions]
    )


def _new_investors(bond: Bond, count: int, start: int) -> list[Organisation]:
    return Organisation.objects.bulk_create(
        Organisation(slug=f"lists-investor-{n}", name=f"Investor {n}", kinds=["investor"])
        for n in range(start, start + count)
    )


def _grow_parties(bond: Bond, count: int, start: int) -> None:
    ProgrammeParty.objects.bulk_create(
        ProgrammeParty(programme=bond.programme, organisation=investor, role="investor")
        for investor in _new_investors(bond, count, start)
    )


def _grow_commitments(bond: Bond, count: int, start: int) -> None:
    commitment = Commitment.objects.filter(tranche__programme=bond.programme).first()
    assert commitment is not None
    Commitment.objects.bulk_create(
        _copies(commitment, 1, start, investor_id=investor.pk)[0]
        for investor in _new_investors(bond, count, start)
    )


def _grow_participants(bond: Bond, count: int, start: int) -> None:
    # Records are added to a result awaiting verification only (a trigger refuses others).
    result = Result.objects.filter(programme=bond.programme, decision=None).first()
    if result is None:
        result = outcomes.result_submit(
            programme=bond.programme,
            user=bond.evaluator,
            metric=Metric.objects.get(programme=bond.programme, code="in-work-6m"),
            cohort=Cohort.objects.get(programme=bond.programme, code="c1"),
            period=MeasurementPeriod.objects.get(programme=bond.programme, code="2026-h2"),
            stage="interim",
            values=outcomes.ResultValues(value=Decimal(3)),
        )
    ParticipantRecord.objects.bulk_create(
        ParticipantRecord(
            result=result,
            metric_id=result.metric_id,
            cohort_id=result.cohort_id,
            period_id=result.period_id,
            pseudonym=f"{n:064x}",
            achieved_on=result.period.end_date,
        )
        for n in range(start, start + count)
    )


def _grow_programmes(bond: Bond, count: int, start: int) -> None:
    programmes = Programme.objects.bulk_create(_copies(bond.programme, count, start))
    membership = Membership.objects.get(
        programme=bond.programme, user=bond.manager, role=Role.FUND_MANAGER
    )
    Membership.objects.bulk_create(
        [_copies(membership, 1, start, programme_id=p.pk)[0] for p in programmes]
    )


def _on(model: type[models.Model], **lookup: str) -> Callable[[Bond, int, int], None]:
    def grow(bond: Bond, count: int, start: int) -> None:
        _grow(
            model.objects.filter(**{k: getattr(bond, v) for k, v in lookup.items()}), count, start
        )

    return grow


@dataclass(frozen=True)
class ListCase:
    path: str  # after /api/programmes/{id}/, or absolute when it starts with /
    grow: Callable[[Bond, int, int], None]
    reader: str = "manager"  # the Bond's user who reads the list


CASES = {
    "programme-list": ListCase("/api/programmes/", _grow_programmes),
    "organisation-list": ListCase("/api/organisations/", _on(Organisation)),
    "party-list": ListCase("parties/", _grow_parties),
    "membership-list": ListCase("memberships/", _on(Membership, programme="programme")),
    "tranche-list": ListCase("tranches/", _on(Tranche, programme="programme")),
    "commitment-list": ListCase("commitments/", _grow_commitments),
    "drawdown-list": ListCase("drawdowns/", _grow_drawdowns),
    "ledger-account-list": ListCase("ledger/accounts/", _on(Account, programme="programme")),
    "ledger-transaction-list": ListCase("ledger/transactions/", _grow_transactions),
    "cohort-list": ListCase("cohorts/", _on(Cohort, programme="programme")),
    "period-list": ListCase("periods/", _on(MeasurementPeriod, programme="programme")),
    "metric-list": ListCase("metrics/", _on(Metric, programme="programme")),
    "result-list": ListCase("results/", _on(Result, programme="programme")),
    "participant-record-list": ListCase("participants/", _grow_participants, "evaluator"),
}


def _queries(bond: Bond, case: ListCase) -> tuple[int, int]:
    url = (
        case.path
        if case.path.startswith("/")
        else f"/api/programmes/{bond.programme.pk}/{case.path}"
    )
    client = bond.client(getattr(bond, case.reader))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{url}?{PAGE}")
    assert response.status_code == 200, response.content
    body = response.json()
    # The programme's definition lists (cohorts, periods, metrics, memberships) are short
    # and not paged; the query count must still not follow their length.
    rows = body if isinstance(body, list) else body["results"]
    return len(queries), len(rows)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_list_costs_the_same_queries_at_10_and_1000_rows(name):
    case = CASES[name]
    bond = make_bond("lists")
    with transaction.atomic():
        case.grow(bond, 10, 1)
        at_ten, shown_at_ten = _queries(bond, case)
        case.grow(bond, 990, 11)
        at_thousand, shown_at_thousand = _queries(bond, case)
        transaction.set_rollback(True)

    assert shown_at_thousand >= 500
    assert shown_at_ten >= 10
    assert at_thousand == at_ten
