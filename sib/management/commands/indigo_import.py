import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from sib.definition_file import definition_parse
from sib.indigo.importer import IndigoError, indigo_import
from sib.management.commands.programme_load import _creator
from sib.programme_format import DefinitionError


class Command(BaseCommand):
    help = (
        "Create a draft programme from an INDIGO project record (docs/indigo.md), and list "
        "the record's fields that were not mapped."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--slug",
            default=None,
            help="The programme's slug (default: the record's id, lower-cased).",
        )
        parser.add_argument(
            "--manager",
            default=None,
            help="Username who becomes the "
            "programme's first fund manager (default: first superuser).",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="Also write the "
            "programme definition the record maps to (to complete by hand "
            "when something is missing).",
        )

    @no_translations  # English throughout, as programme_load
    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            raw = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        creator = _creator(options["manager"])
        try:
            bundle = definition_parse(raw)
            result = indigo_import(bundle=bundle, creator=creator, slug=options["slug"])
        except IndigoError as exc:
            raise CommandError(str(exc)) from exc
        except DefinitionError as exc:
            lines = [f"  {path or '(document)'}: {message}" for path, message in exc.errors]
            raise CommandError("The mapped definition is refused:\n" + "\n".join(lines)) from exc
        conversion = result.conversion
        if options["output"] is not None:
            text = json.dumps(conversion.document, indent=2, ensure_ascii=False)
            options["output"].write_text(text + "\n", encoding="utf-8")
        self._list("Not mapped", conversion.unmapped)
        self._list(
            "To complete before activation (the programme stays a draft)", conversion.to_complete
        )
        if result.programme is None:
            needed = "\n".join(f"  {line}" for line in conversion.missing)
            raise CommandError(
                "Nothing was loaded: the programme format requires what the record lacks:\n"
                f"{needed}\nComplete the definition (--output) and load it with programme_load."
            )
        self.stdout.write(f"Loaded programme {result.programme.slug} ({result.programme.status}).")

    def _list(self, title: str, lines: list[str]) -> None:
        if lines:
            self.stdout.write(f"{title} ({len(lines)}):")
            for line in lines:
                self.stdout.write(f"  {line}")
