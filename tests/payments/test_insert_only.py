"""Ledger rows and chain entries are never changed or removed, through the app role."""

from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction

from payments import services
from payments.models import Account, Drawdown, LedgerTransaction, Leg
from sib.db.insert_only import InsertOnlyError
from sib.models import ChainEntry
from tests.payments.ledger_support import make_deal

pytestmark = pytest.mark.django_db

MODELS = [LedgerTransaction, Leg, ChainEntry, Account, Drawdown]


@pytest.fixture
def rows():
    deal = make_deal("insert-only")
    services.drawdown_record(
        commitment=deal.commitment, called_on=date(2026, 2, 1), amount=500, actor=None
    )
    return deal


def _snapshot(model):  # type: ignore[no-untyped-def]
    return sorted(model.objects.values_list(), key=lambda row: row[0])


def test_the_connection_runs_as_the_app_role(rows):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == connection.settings_dict["APP_ROLE"]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET id = id", "DELETE FROM {table}", "TRUNCATE {table} CASCADE"],
    ids=["update", "delete", "truncate"],
)
def test_sql_writes_are_refused_and_change_nothing(rows, model, statement):
    before = _snapshot(model)
    assert before
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table=model._meta.db_table))
    assert _snapshot(model) == before


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_orm_save_update_and_delete_are_refused_and_change_nothing(rows, model):
    before = _snapshot(model)
    row = model.objects.first()
    with pytest.raises(InsertOnlyError):
        row.save()
    with pytest.raises(InsertOnlyError):
        row.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(id=row.pk)
    with pytest.raises(DatabaseError), transaction.atomic():
        model.objects.filter(pk=row.pk).delete()
    assert _snapshot(model) == before


def test_the_trigger_refuses_even_the_owner(rows):
    before = _snapshot(Leg)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{connection.settings_dict["OWNER"]["USER"]}"')
        cursor.execute("UPDATE payments_leg SET debit = debit")
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    assert _snapshot(Leg) == before
