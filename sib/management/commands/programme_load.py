from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, no_translations

from sib.definition_file import definition_parse
from sib.programme_format import DefinitionError, programme_definition_load


class Command(BaseCommand):
    help = "Create a programme from its JSON definition (docs/programme-format.md)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--manager",
            default=None,
            help="Username who becomes the programme's first fund manager (default: first "
            "superuser).",
        )

    @no_translations  # English throughout, the service messages included
    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            document = _read(options["file"])
            creator = _creator(options["manager"])
            programme = programme_definition_load(document, creator=creator)
        except DefinitionError as exc:
            lines = [f"  {path or '(document)'}: {message}" for path, message in exc.errors]
            raise CommandError("Invalid programme definition:\n" + "\n".join(lines)) from exc
        self.stdout.write(f"Loaded programme {programme.slug} ({programme.status}).")


def _read(path: Path) -> Any:
    """Return the file's JSON document, or raise a CommandError saying what is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from exc
    return definition_parse(raw)


def _creator(username: str | None):  # type: ignore[no-untyped-def]
    users = get_user_model().objects
    if username:
        try:
            return users.get(username=username)
        except users.model.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
    creator = users.filter(is_superuser=True).order_by("pk").first()
    if creator is None:
        raise CommandError("No superuser exists: pass --manager USERNAME.")
    return creator
