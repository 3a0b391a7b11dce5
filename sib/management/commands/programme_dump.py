import json

from django.core.management.base import BaseCommand, CommandError, no_translations

from sib.models import Programme
from sib.programme_format import programme_definition_dump


class Command(BaseCommand):
    help = "Print a programme's JSON definition (the format programme_load reads)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("slug")

    @no_translations  # English throughout, the service messages included
    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            programme = Programme.objects.get(slug=options["slug"])
        except Programme.DoesNotExist:
            raise CommandError(f"No programme {options['slug']!r}.") from None
        document = programme_definition_dump(programme)
        self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False))
