"""Which rule the database refused a write by: the constraint's name and the SQLSTATE.

Services map these to their own errors (`sib.exceptions`), never the error's text: the
text is for operators, and changes with PostgreSQL's version and language. A trigger
names its rule with `RAISE ... USING ERRCODE = 'check_violation', CONSTRAINT = '<rule>'`;
a table constraint is named in its model's Meta (or by PostgreSQL, `<table>_<column>_key`
for a unique column).
"""

from django.db import DatabaseError

UNIQUE_VIOLATION = "23505"
CHECK_VIOLATION = "23514"


def database_rule(exc: DatabaseError) -> tuple[str, str]:
    """Return (constraint name, SQLSTATE) of the database error behind `exc`."""
    diag = getattr(exc.__cause__, "diag", None)
    return (
        getattr(diag, "constraint_name", None) or "",
        getattr(diag, "sqlstate", None) or "",
    )
