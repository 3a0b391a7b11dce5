from django.core.management.base import BaseCommand, CommandError, no_translations

from sib.chain_verification import chain_verify
from sib.models import Programme


class Command(BaseCommand):
    help = (
        "Recompute each programme's hash chain from the stored records; exit 1 and name the "
        "first broken entry (seq, kind, object id, reason) if any chain is broken, and what "
        "is missing: records without an entry, entries without a record, removed last entries."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("slug", nargs="?", help="One programme (all when omitted).")

    @no_translations  # English throughout, the service messages included
    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        programmes = Programme.objects.order_by("slug")
        if options["slug"]:
            programmes = programmes.filter(slug=options["slug"])
            if not programmes.exists():
                raise CommandError(f"No programme {options['slug']!r}.")
        broken = 0
        for programme in programmes:
            result = chain_verify(programme_id=programme.pk)
            counts = ", ".join(
                f"{kind} {records} records / {entries} entries"
                for kind, (records, entries) in sorted(result.counts.items())
            )
            if result.ok:
                self.stdout.write(
                    f"{programme.slug}: ok, {result.entries} entries, head {result.head}"
                    + (f" ({counts})" if counts else "")
                )
                continue
            broken += 1
            b = result.first_break
            assert b is not None
            self.stdout.write(
                f"{programme.slug}: BROKEN at seq {b.seq}, kind {b.kind}, "
                f"object {b.object_id}: {b.reason}"
            )
            for gap in result.gaps:
                if gap != b:
                    where = f"seq {gap.seq}" if gap.seq else "no entry"
                    self.stdout.write(
                        f"  also: {where}, kind {gap.kind}, object {gap.object_id}: {gap.reason}"
                    )
            if counts:
                self.stdout.write(f"  counts: {counts}")
        if broken:
            raise CommandError(f"{broken} chain(s) broken.", returncode=1)
