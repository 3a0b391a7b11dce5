"""
Time a ~30-page public evaluation report against bare reportlab.

Run: ``.venv/bin/python bench/report_bench.py``. Prints the best of a few
runs for our renderer (10 charts, ~600 table rows) and for reportlab laying
out a bare story of the same size, so the cost of our layer is visible. The
goal is 0.5 s or less for ours.

Measured on the 2-core development machine (best of 5, three invocations): before the
table cells became plain wrapped text drawn as one text object per table, ours 0.43 s
wall / 0.28 s CPU; after, ours 0.18 s wall / 0.17 s CPU, bare reportlab 0.12 s.
bench/report_db_bench.py times the same from the database, with a 1 080-row log.
"""

from __future__ import annotations

import importlib.util
import io
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pypdf import PdfReader
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import (
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
)

from reports.document import (
    ChainHead,
    CohortResult,
    InvestorRepayment,
    MetricSection,
    Party,
    PaymentRow,
    Programme,
    ReportData,
    SummaryFigures,
    VerificationEntry,
)
from reports.rendering import render_report

METRICS = 9  # + the payments chart = 10 charts
ROWS_PER_METRIC = 60  # 540 result rows + 60 payment rows = 600 rows
PAYMENT_ROWS = 60
LOG_ROWS = 90
RUNS = 5


def large_report() -> ReportData:
    """Return a synthetic public report of about thirty pages."""
    metrics = tuple(
        MetricSection(
            code=f"m{m}",
            name=f"Indicateur de résultat n° {m + 1}",
            definition="Le participant atteint le résultat mesuré par l’évaluateur. " * 3,
            mechanism="Prix unitaire par résultat vérifié, plafonné par participant.",
            unit_price=80_000 + 10_000 * m,
            results=tuple(
                CohortResult(
                    f"Cohorte {1 + r % 6}",
                    f"{2026 + r // 12}-T{1 + r % 4}",
                    "final" if r % 5 == 0 else "interim",
                    (r * 7 + m) % 60,
                    40,
                )
                for r in range(ROWS_PER_METRIC)
            ),
        )
        for m in range(METRICS)
    )
    payments = tuple(
        PaymentRow(
            f"{2026 + p // 8}-T{1 + p // 2 % 4}", "État" if p % 2 else "Département", 1_234_567 + p
        )
        for p in range(PAYMENT_ROWS)
    )
    log = tuple(
        VerificationEntry(
            date(2027, 1 + e % 12, 1 + e % 28),
            f"Indicateur {1 + e % METRICS}",
            f"Cohorte {1 + e % 6}",
            "2027-T1",
            "verified" if e % 3 else "amended",
            "Évaluateur indépendant",
            "" if e % 3 else "Correction d’un doublon dans l’export.",
        )
        for e in range(LOG_ROWS)
    )
    return ReportData(
        programme=Programme(
            "Jardins solidaires, Marseille",
            "jardins-solidaires-marseille",
            date(2026, 1, 1),
            date(2030, 12, 31),
            "EUR",
            (Party("État", "payer", 7000), Party("Département", "payer", 3000)),
        ),
        edition="public",
        language="fr",
        report_date=date(2026, 11, 28),
        summary=SummaryFigures(
            300, 160, sum(p.amount for p in payments), 0, 150_000_000, cap_used=None
        ),
        metrics=metrics,
        payments=payments,
        investor_repayment=InvestorRepayment(3, 110_000_000, 82_500_000, 0, 0, "no_repayment"),
        verification_log=log,
        chain_head=ChainHead("ab" * 32, 4096),
    )


def bare_story(padding: int) -> bytes:
    """Return a PDF of headings, 10 bar charts, 600 plain rows and ``padding`` pages."""
    styles = getSampleStyleSheet()
    story = []
    for chart_no in range(10):
        story.append(Paragraph(f"Section {chart_no + 1}", styles["Heading1"]))
        rows = [["Cohort", "Period", "Status", "Achieved", "Target", "Rate"]]
        rows += [
            [f"Cohort {r % 6}", f"2027-T{r % 4}", "final", str(r), "40", f"{r}.0%"]
            for r in range(60)
        ]
        story.append(LongTable(rows, repeatRows=1))
        drawing = Drawing(470, 200)
        chart = VerticalBarChart()
        chart.x, chart.y, chart.width, chart.height = 40, 30, 400, 150
        chart.data = [[42, 7, 0, 30], [40, 40, 40, 40]]
        drawing.add(chart)
        story.append(drawing)
        story.append(PageBreak())
    for _ in range(padding):
        story += [Paragraph("Page", styles["Normal"]), PageBreak()]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1).build(story)
    return buffer.getvalue()


def page_count(pdf: bytes) -> int:
    """Return the number of pages of ``pdf``."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


def best_of(runs: int, build: Callable[[], bytes]) -> tuple[float, float, bytes]:
    """Return the best wall and CPU times of ``runs`` builds, and the last PDF."""
    # CPU time is printed too: on a shared machine wall time mostly measures
    # the neighbours.
    wall = cpu = float("inf")
    pdf = b""
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        pdf = build()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, pdf


def main() -> None:
    data = large_report()
    ours, ours_cpu, pdf = best_of(RUNS, lambda: render_report(data))
    pages = page_count(pdf)
    # Pad the bare story (untimed) so both documents have the same pages.
    padding = max(pages - page_count(bare_story(0)), 0)
    bare, bare_cpu, bare_pdf = best_of(RUNS, lambda: bare_story(padding))
    rows = METRICS * ROWS_PER_METRIC + PAYMENT_ROWS
    accel = importlib.util.find_spec("_rl_accel") is not None
    print(
        f"report:    {pages} pages, {METRICS + 1} charts, {rows} table rows (+{LOG_ROWS} log rows)"
    )
    print(f"rl-accel:  {'installed' if accel else 'not installed (pure-Python fallbacks)'}")
    print(f"ours:      {ours:.3f} s wall, {ours_cpu:.3f} s CPU  ({len(pdf) / 1024:.0f} KiB)")
    print(f"reportlab: {bare:.3f} s wall, {bare_cpu:.3f} s CPU  ({page_count(bare_pdf)} pages)")
    print(f"overhead:  {ours_cpu / bare_cpu:.2f}x CPU; goal for ours <= 0.500 s")


if __name__ == "__main__":
    main()
