"""The pseudonym column: 32 bytes in PostgreSQL, 64 hex characters in Python.

A participant record's pseudonym is an HMAC-SHA256 (outcomes.pseudonyms). Stored as its
32 raw bytes (`bytea`, CHECK octet_length = 32, migration 0014) the unique B-tree it leads
compares by memcmp and holds half the bytes of the hex text it replaced; Python code,
the API, reports and tests keep seeing the same lowercase hex string as before.
"""

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression


class PseudonymField(models.Field):
    description = "An HMAC-SHA256 pseudonym: bytea in the database, hex text in Python"

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        return "bytea"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if isinstance(value, str):
            return bytes.fromhex(value)
        return value

    def from_db_value(
        self, value: bytes | memoryview | None, expression: Expression, connection: Any
    ) -> str | None:
        return None if value is None else bytes(value).hex()

    def to_python(self, value: Any) -> str | None:
        if isinstance(value, bytes | memoryview):
            return bytes(value).hex()
        return value
