from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from reports.services import UnreadableReport, report_verify_file


class Command(BaseCommand):
    help = (
        "Check a report PDF against the ledger: does it carry this ledger's signature over "
        "every byte, is it byte for byte a report issued here, is the chain head it prints a "
        "state of that programme's ledger, and does the ledger still verify? Exit status 0 "
        "when all hold, 1 otherwise, with the reasons."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("file", help="The report PDF.")

    @no_translations  # English throughout, the service messages included
    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            content = Path(options["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(str(exc)) from None
        try:
            result = report_verify_file(content=content)
        except UnreadableReport as exc:
            raise CommandError("; ".join(exc.messages)) from None
        programme = result.programme.slug if result.programme is not None else "(unknown)"
        lines = [
            f"file sha256:  {result.sha256}",
            f"programme:    {programme}",
            f"chain head:   {result.chain_head}",
            f"in ledger:    {'yes, entry ' + str(result.chain_seq) if result.in_chain else 'NO'}",
        ]
        if result.ledger_ok is not None:
            verdict = "yes" if result.ledger_ok else f"NO: {result.first_break}"
            lines.append(f"ledger ok:    {verdict} ({result.ledger_entries} entries)")
            lines.append(f"ledger head:  {result.ledger_head}")
        signature = "yes" if result.signature_ok else f"NO: {result.signature_problem}"
        lines.append(f"signature:    {signature}")
        if result.issued_report is not None:
            lines.append(f"issued:       yes, report {result.issued_report.pk}")
        else:
            lines.append("issued:       NO: no report with these exact bytes was issued here")
        lines.append(result.summary())
        lines += [f"FAIL: {problem}" for problem in result.problems]
        self.stdout.write("\n".join(lines))
        if not result.ok:
            raise SystemExit(1)
