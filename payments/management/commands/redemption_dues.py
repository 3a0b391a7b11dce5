from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from payments.redemption_dues import redemption_dues_book, redemption_dues_programmes
from sib.models import Programme


class Command(BaseCommand):
    help = (
        "Book the principal redemptions whose date has come and that nothing booked yet "
        "(the worker's beat does it daily). Running it twice books once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", nargs="?", help="one programme (default: every one)")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        if options["slug"]:
            try:
                programmes = [Programme.objects.get(slug=options["slug"])]
            except Programme.DoesNotExist as exc:
                raise CommandError(f"No programme {options['slug']!r}.") from exc
        else:
            programmes = redemption_dues_programmes()
        for programme in programmes:
            posted = redemption_dues_book(programme=programme)
            self.stdout.write(f"{programme.slug}: {len(posted)} transactions booked.")
