from django.core.management.commands import flush

from sib.db.base import owner_mode


class Command(flush.Command):
    """Django's flush, run as the schema owner: insert-only tables refuse TRUNCATE to the app role.

    Only the test suite uses it, to empty the database between transactional tests.
    """

    def handle(self, **options):  # type: ignore[no-untyped-def]
        with owner_mode():
            return super().handle(**options)
