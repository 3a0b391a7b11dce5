from django.core.management.commands import flush
from django.db import connections

from sib.db.base import owner_mode


class Command(flush.Command):
    """Django's flush, as the schema owner with triggers off: only the test suite uses it.

    Insert-only tables refuse TRUNCATE to the app role (privileges) and to everyone
    (statement triggers); emptying the test database between transactional tests is the
    one legitimate exception, so the owner's session skips triggers for the flush.
    """

    def handle(self, **options):  # type: ignore[no-untyped-def]
        database = options.get("database", "default")
        with owner_mode():
            with connections[database].cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
            try:
                return super().handle(**options)
            finally:
                with connections[database].cursor() as cursor:
                    cursor.execute("SET session_replication_role = DEFAULT")
