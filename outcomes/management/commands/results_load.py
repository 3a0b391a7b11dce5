"""python manage.py results_load PROGRAMME FILE.csv [--decimal-comma] [--stage final] --user NAME
[--queue]"""

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, no_translations

from outcomes.csv_import import results_import
from outcomes.csv_reading import ImportRejected
from outcomes.import_jobs import import_job_queue
from outcomes.models import Stage
from sib.models import Membership, Programme, User
from sib.permissions import Action, role_allows


class Command(BaseCommand):
    help = "Load a CSV of results or participant records into a programme, all or nothing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("programme", help="Programme slug or id.")
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="The evaluator submitting the file.")
        parser.add_argument("--decimal-comma", action="store_true", help="Values like 12,5.")
        parser.add_argument("--stage", choices=Stage.values, default=Stage.INTERIM)
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--over-planned-size",
            action="store_true",
            help="Declare counts above 1.5 times their cohort's planned size.",
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Hand the file to the import workers (the imports queue) and return at once.",
        )

    @no_translations  # English throughout, the service messages included
    def handle(self, *args: Any, **options: Any) -> None:
        key = options["programme"]
        lookup = {"pk": int(key)} if key.isdigit() else {"slug": key}
        try:
            programme = Programme.objects.get(**lookup)
            user = User.objects.get(username=options["user"])
        except (Programme.DoesNotExist, User.DoesNotExist) as exc:
            raise CommandError(str(exc)) from None
        roles = Membership.objects.filter(user=user, programme=programme).values_list(
            "role", flat=True
        )
        if not any(role_allows(role, Action.RESULT_SUBMIT) for role in roles):
            raise CommandError(f"{user.username} may not submit results to {programme.slug}.")
        path: Path = options["file"]
        if options["queue"]:
            with path.open("rb") as stream:
                job = import_job_queue(
                    programme=programme,
                    user=user,
                    stream=stream,
                    filename=path.name,
                    decimal_comma=options["decimal_comma"],
                    stage=options["stage"],
                    over_planned_size=options["over_planned_size"],
                )
            self.stdout.write(f"Queued import job {job.pk} ({path.name}).")
            return
        size = path.stat().st_size
        started = time.monotonic()
        with path.open("rb") as stream:
            bar = None if options["no_progress"] else _Bar(stream, size, self.stderr)
            try:
                summary = results_import(
                    programme=programme,
                    user=user,
                    stream=stream,
                    filename=path.name,
                    decimal_comma=options["decimal_comma"],
                    stage=options["stage"],
                    progress=bar,
                    over_planned_size=options["over_planned_size"],
                )
            except ImportRejected as exc:
                if bar:
                    bar.finish()
                for error in exc.errors:
                    column = f" [{error.column}]" if error.column else ""
                    self.stderr.write(f"line {error.line}{column} {error.rule}: {error.message}")
                raise CommandError(
                    f"{exc.total} error(s); nothing was imported"
                    + (f" (first {len(exc.errors)} shown)" if exc.total > len(exc.errors) else "")
                ) from None
        if bar:
            bar.finish()
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Imported {summary.rows} {summary.kind} rows in {elapsed:.1f} s "
            f"(batch {summary.batch_id}, results {', '.join(map(str, summary.result_ids))})."
        )


class _Bar:
    """A one-line progress bar on stderr, by bytes read (no dependency)."""

    WIDTH = 30

    def __init__(self, stream: Any, size: int, out: Any) -> None:
        self.stream, self.size, self.out = stream, max(size, 1), out
        self.last = 0.0
        self.tty = getattr(sys.stderr, "isatty", lambda: False)()

    def __call__(self, phase: str, rows: int) -> None:
        now = time.monotonic()
        if phase == "reading" and now - self.last < 0.2:
            return
        self.last = now
        done = min(self.stream.tell() / self.size, 1.0) if phase == "reading" else 1.0
        filled = int(done * self.WIDTH)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        line = f"{phase:<10} [{bar}] {done:4.0%} {rows:>10,} rows"
        self.out.write("\r" + line if self.tty else line, ending="" if self.tty else "\n")
        self.out.flush()

    def finish(self) -> None:
        if self.tty:
            self.out.write("")
