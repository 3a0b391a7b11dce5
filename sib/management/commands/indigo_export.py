import json

from django.core.management.base import BaseCommand, CommandError, no_translations

from sib.indigo.exporter import programme_indigo_export
from sib.models import Programme


class Command(BaseCommand):
    help = "Print a programme as an INDIGO project record (docs/indigo.md)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("slug")

    @no_translations
    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            programme = Programme.objects.get(slug=options["slug"])
        except Programme.DoesNotExist:
            raise CommandError(f"No programme {options['slug']!r}.") from None
        export = programme_indigo_export(programme=programme)
        self.stdout.write(json.dumps(export.record, indent=2, ensure_ascii=False))
        # On stderr, so that stdout stays the record alone.
        for line in export.not_exported:
            self.stderr.write(f"Not exported: {line}")
