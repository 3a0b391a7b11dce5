from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sib.demo import DEMO_PASSWORD, DEMO_USERS, demo_seed


class Command(BaseCommand):
    help = "Load the demo programme 'Jardins solidaires' and one user per role (idempotent)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--list-users", action="store_true", help="Only print the logins.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if options["list_users"]:
            for demo in DEMO_USERS:
                self.stdout.write(f"    {demo.username:<10} {demo.label}")
            self.stdout.write(f"    (password for all: {DEMO_PASSWORD})")
            return
        if settings.PRODUCTION:
            # The demo users share a published password, one of them is staff.
            raise CommandError(
                "seed_demo refuses to run when SIB_ENV=production: it creates users with a "
                "published password."
            )
        summary = demo_seed()
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in summary.items()))
