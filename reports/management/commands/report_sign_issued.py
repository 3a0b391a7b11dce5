from django.core.management.base import BaseCommand, no_translations

from reports.services import report_sign_unsigned


class Command(BaseCommand):
    help = (
        "Sign every report issued before reports were signed (run once after upgrading). "
        "Their SHA-256 changes: copies downloaded before must be downloaded again."
    )

    @no_translations
    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        self.stdout.write(f"{report_sign_unsigned()} reports signed.")
