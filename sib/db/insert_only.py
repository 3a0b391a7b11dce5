"""Insert-only tables: written once, never updated or deleted, by anyone.

Three locks, so that no code path can skip them:
1. a PostgreSQL trigger (django-pgtrigger `Protect`) rejects UPDATE and DELETE;
2. the application role has no UPDATE, DELETE or TRUNCATE privilege (sib.db.privileges);
3. the model refuses `save()` on an existing row and `delete()` before reaching the database,
   so the mistake is reported where it is made.
A correction is a new row that links to the one it corrects.
"""

from typing import Any

import pgtrigger
from django.apps import apps
from django.db import models


class InsertOnlyError(Exception):
    """An attempt to change or delete a row of an insert-only table."""


class InsertOnlyModel(models.Model):
    insert_only = True

    class Meta:
        abstract = True
        triggers = [
            pgtrigger.Protect(name="insert_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise InsertOnlyError(f"{self._meta.label} rows are insert-only; record a correction.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise InsertOnlyError(f"{self._meta.label} rows are insert-only; record a correction.")


def insert_only_tables() -> list[str]:
    """Return the tables nobody may change: the facts, and the audit history's events.

    django-pghistory's event tables get the same trigger from PGHISTORY_APPEND_ONLY
    (settings); the privileges are revoked here, so an audit trail is as fixed as what it
    records.
    """
    # pghistory's models load with the app registry; this module is imported by models
    # modules (InsertOnlyModel), before the registry is ready.
    from pghistory.models import Event

    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if (getattr(model, "insert_only", False) or issubclass(model, Event))
        and not model._meta.proxy
        and model._meta.managed
    )
