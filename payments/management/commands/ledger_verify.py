from django.core.management.base import BaseCommand, CommandError, no_translations

from sib.chain_checks import ChainCheckOutcome, chain_check_now
from sib.chain_routine import RoutineVerification
from sib.chain_verification import ChainVerification
from sib.models import ChainCheckKind, Programme


class Command(BaseCommand):
    help = (
        "Recompute each programme's hash chain from the stored records; exit 1 and name the "
        "first broken entry (seq, kind, object id, reason) if any chain is broken, and what "
        "is missing: records without an entry, entries without a record, removed last "
        "entries, signed checkpoints the chain no longer passes through. With --routine, "
        "check only the entries after the signed checkpoint where the last check ended."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("slug", nargs="?", help="One programme (all when omitted).")
        parser.add_argument(
            "--routine",
            action="store_true",
            help=(
                "A routine check (sib.chain_routine): from the signed checkpoint the "
                "programme's last check ended at, only the entries after it. Runs in full, "
                "saying why, when there is nowhere to start. Records and signs nothing."
            ),
        )

    @no_translations  # English throughout, the service messages included
    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        programmes = Programme.objects.order_by("slug")
        if options["slug"]:
            programmes = programmes.filter(slug=options["slug"])
            if not programmes.exists():
                raise CommandError(f"No programme {options['slug']!r}.")
        kind = ChainCheckKind.ROUTINE if options["routine"] else ChainCheckKind.FULL
        broken = 0
        for programme in programmes:
            outcome = chain_check_now(programme_id=programme.pk, kind=kind)
            if outcome.fallback:
                self.stdout.write(
                    f"{programme.slug}: no routine check: {outcome.fallback}; a full check instead"
                )
            if not self._report(programme.slug, outcome):
                broken += 1
        if broken:
            raise CommandError(f"{broken} chain(s) broken.", returncode=1)

    def _report(self, slug: str, outcome: ChainCheckOutcome) -> bool:
        """Print one programme's check; return whether its chain is whole."""
        result = outcome.verification
        counts = ""
        if isinstance(result, ChainVerification):
            counts = ", ".join(
                f"{kind} {records} records / {entries} entries"
                for kind, (records, entries) in sorted(result.counts.items())
            )
        if result.ok:
            if isinstance(result, ChainVerification):
                self.stdout.write(
                    f"{slug}: ok, {result.entries} entries, head {result.head}"
                    + (f" ({counts})" if counts else "")
                )
            else:
                self.stdout.write(f"{slug}: ok, {_scope(outcome)}; head {result.head}")
                self.stdout.write(
                    f"  entries up to seq {outcome.from_seq} are the full check's "
                    f"(ledger_verify {slug})"
                )
            return True
        b = result.first_break
        assert b is not None
        self.stdout.write(
            f"{slug}: BROKEN at seq {b.seq}, kind {b.kind}, object {b.object_id}: {b.reason}"
        )
        if not isinstance(result, ChainVerification):
            self.stdout.write(f"  {_scope(outcome)}")
        for gap in result.gaps:
            if gap != b:
                where = f"seq {gap.seq}" if gap.seq else "no entry"
                self.stdout.write(
                    f"  also: {where}, kind {gap.kind}, object {gap.object_id}: {gap.reason}"
                )
        if counts:
            self.stdout.write(f"  counts: {counts}")
        return False


def _scope(outcome: ChainCheckOutcome) -> str:
    """Say what a routine check verified and where it started."""
    checkpoint = outcome.checkpoint
    assert checkpoint is not None  # a routine check has started from one
    start = (
        f"the signed checkpoint at seq {checkpoint.seq} (head {checkpoint.head}, "
        f"signed {checkpoint.signed_at:%Y-%m-%dT%H:%M:%SZ})"
    )
    if isinstance(outcome.verification, RoutineVerification) and outcome.verification.start_moved:
        return f"routine check: nothing verified after {start}; a full check is needed"
    if outcome.to_seq == outcome.from_seq:
        return f"routine check: no entry after {start}, whose entry still has the signed head"
    count = outcome.verification.entries
    return (
        f"routine check of entries {outcome.from_seq + 1} to {outcome.to_seq} "
        f"({count} entries) after {start}"
    )
