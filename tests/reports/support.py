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
from payments.models import Commitment, Drawdown, TrancheKind
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
    drawn: int
    principal_outstanding: int
    committed: int


def ledger_totals(programme: Programme) -> LedgerTotals:
    paid_by_payer: dict[str, int] = {}
    outstanding = 0
    for account, debit, credit, _balance in account_balances(programme_id=programme.pk):
        if account.kind == "payer_receivable":
            # No outcome payment has fallen due in these tests: every credit is a payment.
            assert account.organisation is not None
            paid_by_payer[account.organisation.name] = credit - debit
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
