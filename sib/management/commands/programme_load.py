import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, no_translations

from sib.bounds import MAX_JSON_DEPTH, json_depth_exceeds
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
        document = _read(options["file"])
        creator = _creator(options["manager"])
        try:
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
    # JSON text is UTF-8, -16 or -32 (RFC 8259 and json.loads tell them apart by their
    # first bytes); a BOM is allowed.
    encoding = json.detect_encoding(raw)
    try:
        text = raw.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path} is not UTF-8 text (byte {exc.start + 1}): save it as UTF-8."
        ) from exc
    # json.loads recurses once per level: 100,000 nested brackets end in RecursionError.
    if json_depth_exceeds(text):
        deeper = f"nested deeper than {MAX_JSON_DEPTH} levels"
        raise CommandError(f"Invalid programme definition:\n  (document): {deeper}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"{path} is not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc


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
