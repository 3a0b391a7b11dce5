import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from reports.models import Edition, Language
from reports.notices import NoticeStale
from reports.selectors.state import chain_state
from reports.services import report_render
from sib.models import ChainEntry, Organisation, Programme


class Command(BaseCommand):
    help = (
        "Write a programme's evaluation report as PDF, built here from the ledger as it is "
        "now (or at --at CHAIN_HEAD); the same state always gives the same bytes."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("slug")
        parser.add_argument("--edition", choices=Edition.values, default=Edition.PUBLIC)
        parser.add_argument("--lang", choices=Language.values, default=Language.FR)
        parser.add_argument("--at", metavar="CHAIN_HEAD", help="A past state of the ledger.")
        parser.add_argument(
            "--payer", metavar="SLUG", help="The payer a payment notice (payer_notice) is to."
        )
        parser.add_argument("-o", "--output", required=True, help="The PDF file to write.")

    @no_translations  # English throughout, the service messages included
    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            programme = Programme.objects.get(slug=options["slug"])
        except Programme.DoesNotExist:
            raise CommandError(f"No programme {options['slug']!r}.") from None
        try:
            state = chain_state(programme=programme, head=options["at"])
        except ChainEntry.DoesNotExist:
            raise CommandError(f"{options['at']} is not a state of {programme.slug}.") from None
        payer = None
        if options["edition"] == Edition.PAYER_NOTICE:
            payer = Organisation.objects.filter(slug=options["payer"] or "").first()
            if payer is None:
                raise CommandError("A payment notice needs --payer, an outcome payer's slug.")
        try:
            pdf = report_render(
                programme=programme,
                edition=options["edition"],
                language=options["lang"],
                chain_head=state.head,
                payer=payer,
            )
        except NoticeStale as stale:
            raise CommandError(str(stale)) from None
        Path(options["output"]).write_bytes(pdf)
        self.stdout.write(
            f"{options['output']}: {len(pdf)} bytes, sha256 {hashlib.sha256(pdf).hexdigest()}\n"
            f"chain head {state.head} (entry {state.seq})"
        )
