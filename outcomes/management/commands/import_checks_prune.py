"""python manage.py import_checks_prune: delete checked CSV files never confirmed."""

from typing import Any

from django.core.management.base import BaseCommand, no_translations

from outcomes.import_checks import IMPORT_CHECK_RETENTION_HOURS, import_checks_prune


class Command(BaseCommand):
    help = (
        "Delete the CSV files checked on the portal's import page and never confirmed, "
        f"older than {IMPORT_CHECK_RETENTION_HOURS} hours (docs/results-csv.md)."
    )

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        deleted = import_checks_prune()
        self.stdout.write(f"Deleted {deleted} checked files never confirmed.")
