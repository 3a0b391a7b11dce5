from django.core.management.commands import makemigrations

from sib.db.base import owner_mode


class Command(makemigrations.Command):
    """Django's makemigrations, as the owner: the app role may not exist yet."""

    def handle(self, *app_labels, **options):  # type: ignore[no-untyped-def]
        with owner_mode():
            return super().handle(*app_labels, **options)
