from django.core.management.commands import migrate

from sib.db.base import owner_mode


class Command(migrate.Command):
    """Django's migrate, run as the schema owner (the app role may not alter the schema)."""

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        with owner_mode():
            return super().handle(*args, **options)
