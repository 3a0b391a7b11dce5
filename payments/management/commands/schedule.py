"""python manage.py schedule SLUG [--scenario PCT] [--json]

Print (or emit as canonical JSON, docs/schedule-json.md) a programme's outcome payments by
metric, cohort, period and payer, cap headroom, every distribution, and each investor's
totals and metrics. Without --scenario: the actual schedule (verified results, money
received); with it: a projection at PCT % of targets, never posted to the ledger.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from payments.schedule_builder import document_bytes, schedule_document
from sib.models import Programme
from sib.money import format_money

UNPRICED_TEXT = {"tracked": "tracked, not paid", "price_undisclosed": "price not disclosed"}


class Command(BaseCommand):
    help = "Print a programme's outcome payments, distributions and investor metrics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--scenario", help="Projection at this percentage of targets.")
        parser.add_argument("--json", action="store_true", help="Emit the canonical JSON.")

    @no_translations  # English throughout, the service messages included
    def handle(self, *args: Any, **options: Any) -> None:
        try:
            programme = Programme.objects.get(slug=options["slug"])
        except Programme.DoesNotExist:
            raise CommandError(f"No programme {options['slug']!r}.") from None
        percent = None
        if options["scenario"] is not None:
            try:
                percent = Decimal(options["scenario"].rstrip("%"))
            except InvalidOperation:
                raise CommandError("--scenario is a percentage, e.g. 75.") from None
        try:
            document = schedule_document(programme=programme, percent=percent)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if options["json"]:
            self.stdout.write(document_bytes(document))
            return
        self._print(document, cap_known=programme.contract_cap is not None)

    def _print(self, doc: dict[str, Any], *, cap_known: bool) -> None:
        currency = doc["currency"]

        def money(amount: int) -> str:
            return format_money(amount, currency, "en")

        out = self.stdout.write
        kind = f"PROJECTION at {doc['percent']} % of targets" if doc["projection"] else "actual"
        out(f"{doc['programme']} — {kind}")
        out(f"chain head {doc['chain_head']}  contract {doc['contract_version'][:16]}")
        if doc.get("variations"):
            out("\nContract variations in force (from the date, in order)")
            for item in doc["variations"]:
                details = ", ".join(f"{k} {v}" for k, v in sorted(item["parameters"].items()))
                out(
                    f"  {item['effective_date']} {item['kind']}"
                    + (f": {details}" if details else "")
                )
        plan = doc["outcome_payments"]
        out("\nOutcome payments (metric / cohort / period: count, amount, payers)")
        for line in plan["lines"]:
            payers = ", ".join(f"{p['payer']} {money(p['amount'])}" for p in line["payers"])
            place = f"{line['metric']} / {line['cohort']} / {line['period']}: {line['count']}"
            if not line["metric"]:  # a period's grant (a grant_payments variation)
                place = f"grant / {line['period']}"
            out(f"  {place}, {money(line['amount'])}  [{payers}]  results {line['result_ids']}")
        # A metric the contract does not price has no amount to print, not 0.
        unpriced = {
            line["metric"]: UNPRICED_TEXT[line["reason"]]
            for line in plan["not_payable"]
            if line["reason"] in UNPRICED_TEXT
        }
        for name in ("metric_totals", "cohort_totals", "period_totals"):
            totals = ", ".join(
                f"{k} {unpriced[k] if name == 'metric_totals' and k in unpriced else money(v)}"
                for k, v in plan[name].items()
            )
            out(f"  by {name.split('_')[0]}: {totals}")
        out(
            "  by payer: "
            + ", ".join(f"{p['payer']} {money(p['amount'])}" for p in plan["payer_totals"])
        )
        out(f"  total {money(plan['total'])}; not payable {money(plan['not_payable_total'])}")
        for line in plan["not_payable"]:
            amount = UNPRICED_TEXT.get(line["reason"]) or money(line["amount"])
            whose = f" from {line['payer']}" if "payer" in line else ""
            out(
                f"  not payable ({line['reason']}): {line['metric']} / {line['cohort']} / "
                f"{line['period']}: {amount}{whose}"
            )
        for repeat in plan["repeats"]:
            out(f"  not paid again: result {repeat['result_id']} ({repeat['reason']})")
        out("\nCap headroom")
        if not cap_known:
            out("  contract cap: unknown (nothing is checked against it)")
        for cap in plan["headroom"]:
            value = money if cap["unit"] == "amount" else str
            whose = cap["metric"] or cap.get("payer") or ""
            out(
                f"  {cap['cap']} {whose}: used {value(cap['used'])} of "
                f"{value(cap['limit'])}, {value(cap['remaining'])} left"
            )
        schedule = doc["schedule"]
        out("\nDistributions")
        for row in schedule["distributions"]:
            out(
                f"  {row['on']} step {row['step_index']} {row['step_kind']} "
                f"{row['tranche'] or ''} {row['recipient']}: {money(row['amount'])}"
            )
        for row in schedule["guarantee_calls"]:
            out(f"  {row['on']} guarantee {row['tranche']} called {money(row['amount'])}")
        totals = schedule["totals"]
        out(
            f"  received {money(totals['received'])} = distributed "
            f"{money(totals['distributed'])} + residual {money(totals['residual'])}"
        )
        out("\nInvestors")
        for inv in doc["investors"]:
            xirr = inv["xirr"]
            rate = xirr["value"] if xirr["status"] == "ok" else f"none ({xirr['reason']})"
            out(
                f"  {inv['investor']}: drawn {money(inv['drawn'])}, proposed principal "
                f"{money(inv['proposed_principal_repayment'])}, return "
                f"{money(inv['proposed_return_payment'])}, guarantee "
                f"{money(inv['proposed_guarantee_payment'])}, outstanding "
                f"{money(inv['outstanding_principal'])}; XIRR {rate}, MOIC "
                f"{inv['moic']['value']}, DPI {inv['dpi']['value']}, {inv['category']}"
            )
