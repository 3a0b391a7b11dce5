"""Read report PDFs back as text, and the ledger's own totals to compare them with."""

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from payments.ledger import account_balances
from payments.models import Commitment, Drawdown, Leg, TrancheKind
from reports.rendering.formatting import typeset
from sib.models import Programme
from sib.money import format_money


def pdf_text(pdf: bytes) -> str:
    """Return the text of every page, one line per text run, spaces made plain."""
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def pdf_lines(pdf: bytes) -> list[str]:
    return [line.strip() for line in pdf_text(pdf).splitlines()]


def money(minor: int, lang: str) -> str:
    """Return an amount as the report prints it (after text extraction)."""
    return typeset(format_money(minor, "EUR", lang)).replace("\u00a0", " ")


def value_after(lines: list[str], label: str, *, start: int = 0) -> str:
    """Return the line after the first line equal to `label` (from line `start`)."""
    index = lines.index(label, start)
    return lines[index + 1]


@dataclass(frozen=True)
class LedgerTotals:
    """Totals computed straight from the ledger tables, not through reports.selectors."""

    paid_by_payer: dict[str, int]
    paid: int
    due: int
    drawn: int
    principal_outstanding: int
    committed: int


def ledger_totals(programme: Programme) -> LedgerTotals:
    paid_by_payer: dict[str, int] = {}
    outstanding = due = 0
    # Outcome payments due and payments received: the payer-side legs of those
    # transactions and of their reversals, counted from the rows, not by payments.position.
    for leg in Leg.objects.filter(
        transaction__programme=programme,
        account__kind__in=("payer_receivable", "payer_advance"),
    ).select_related("transaction__reverses", "account__organisation"):
        kind = (leg.transaction.reverses or leg.transaction).kind
        if kind == "outcome_due" and leg.account.kind == "payer_receivable":
            due += leg.debit - leg.credit
        if kind == "payment_received":
            name = leg.account.organisation.name
            paid_by_payer[name] = paid_by_payer.get(name, 0) + leg.credit - leg.debit
    for account, debit, credit, _balance in account_balances(programme_id=programme.pk):
        if account.kind == "payer_receivable":
            assert account.organisation is not None
            paid_by_payer.setdefault(account.organisation.name, 0)
        elif account.kind == "investor_principal":
            outstanding += credit - debit
    drawn = sum(
        d.amount
        for d in Drawdown.objects.filter(programme=programme, transaction__reversal__isnull=True)
    )
    committed = sum(
        c.amount
        for c in Commitment.objects.filter(programme=programme).exclude(
            tranche__kind=TrancheKind.GUARANTEE
        )
    )
    return LedgerTotals(
        paid_by_payer=paid_by_payer,
        paid=sum(paid_by_payer.values()),
        due=due,
        drawn=drawn,
        principal_outstanding=outstanding,
        committed=committed,
    )


def first_page_ink(pdf: bytes) -> float:
    """Render page 1 with pdftoppm and return the share of pixels that are not white."""
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (poppler-utils) is needed: apt-get install poppler-utils"
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "report.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [pdftoppm, "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", source,
             Path(tmp) / "page"],
            check=True, timeout=60,
        )  # fmt: skip
        histogram = Image.open(Path(tmp) / "page.png").convert("L").histogram()
    return sum(histogram[:200]) / sum(histogram)
