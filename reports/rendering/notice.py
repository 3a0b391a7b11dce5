"""
Lay out one payer's outcome payment notice (``reports.document.NoticeData``).

A short document, read by a public funder's accounts department: no cover and no
contents. The first page carries the addressee, the payer's position and the start of
the lines behind it; the payments received and the chain head follow.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, NextPageTemplate, Paragraph, Spacer

from reports.document import KEYWORD_HEAD, KEYWORD_PROGRAMME, NoticeData, NoticePayment
from reports.rendering.base import Metadata, ReportRenderer
from reports.rendering.formatting import (
    format_cell_date,
    format_date,
    format_month,
    format_number,
    format_percent,
    typeset,
)
from reports.rendering.labels import label
from reports.rendering.notice_labels import NOTICE_LABELS
from reports.rendering.styles import FONT_BOLD
from reports.rendering.tables import CELL_PADDING, CELL_SIZE


class NoticeRenderer(ReportRenderer):
    """Render an outcome payment notice."""

    edition = "payer_notice"
    data: NoticeData  # type: ignore[assignment]

    def __init__(self, data: NoticeData) -> None:
        super().__init__(data)  # type: ignore[arg-type]

    def t(self, key: str) -> str:
        wording = NOTICE_LABELS[self.lang]
        return wording[key] if key in wording else label(self.lang, key)

    def edition_label(self) -> str:
        return f"{self.t('edition_payer_notice')} — {self.data.payer}"

    def get_metadata(self) -> Metadata:
        programme = self.data.programme
        return Metadata(
            title=f"{self.t('notice_title')} — {self.data.payer} — {programme.name}",
            author=programme.name,
            subject=f"{self.t('notice_title')} — {programme.name}",
            # report_verify reads the programme and the chain head back from here.
            keywords=(
                f"{programme.slug}, {KEYWORD_PROGRAMME}{programme.slug}, "
                f"{KEYWORD_HEAD}{self.data.chain_head.hash}"
            ),
        )

    def get_story(self) -> list[Flowable]:
        return [
            NextPageTemplate("body"),
            *self.title_story(),
            *self.position_story(),
            *self.cap_story(),
            *self.lines_story(),
            *self.payments_story(),
            *self.ledger_story(),
        ]

    # -- parts ----------------------------------------------------------------

    def title_story(self) -> list[Flowable]:
        data = self.data
        programme = data.programme
        period = self.t("period_range").format(
            start=format_month(programme.period_start, self.lang),
            end=format_month(programme.period_end, self.lang),
        )
        state = self.t("notice_state_value").format(
            count=format_number(data.chain_head.entry_count, self.lang)
        )
        facts = [
            (self.t("notice_to"), data.payer),
            (self.t("notice_share"), self.share()),
            (self.t("notice_date"), format_date(data.report_date, self.lang)),
            (self.t("period"), period),
            (self.t("notice_state"), state),
            (self.t("currency"), programme.currency),
        ]
        return [
            Paragraph(self.t("notice_title").upper(), self.styles["cover_kicker"]),
            self.para(programme.name, "h1"),
            self.table(None, [[k, v] for k, v in facts], [0.3, 0.7]),
            Spacer(1, 6),
            self.para(self.t("notice_intro"), "small"),
        ]

    def share(self) -> str:
        bp = self.data.payer_share_bp
        if bp is None and self.data.payer_pays_rest:
            return self.t("notice_share_rest")
        if bp is None:
            return self.t("notice_share_by_split")
        return format_percent(Fraction(bp, 10_000), self.lang, places=0 if bp % 100 == 0 else 2)

    def position_story(self) -> list[Flowable]:
        f = self.data.figures
        pairs = [
            (self.t("notice_due"), self.money(f.due)),
            (self.t("notice_disputed"), self.money(f.disputed)),
            (self.t("notice_received"), self.money(f.received)),
        ]
        if f.advance:
            pairs.append((self.t("notice_advance"), self.money(f.advance)))
        if f.refunded:
            pairs.append((self.t("notice_refunded"), self.money(f.refunded)))
        if f.credit:
            pairs.append((self.t("notice_credit"), self.money(f.credit)))
        pairs += [
            (self.t("notice_outstanding"), self.money(f.outstanding)),
            (self.t("notice_payable"), self.money(f.payable)),
        ]
        return [
            *self.subheading(self.t("notice_position")),
            self.table(None, [[k, v] for k, v in pairs], [0.7, 0.3], numeric=[1], bold_last=True),
        ]

    def cap_story(self) -> list[Flowable]:
        cap = self.data.cap
        if cap is None:
            return []
        pairs = [
            (self.t("notice_cap"), self.money(cap.cap)),
            (self.t("notice_cap_used"), self.money(cap.used)),
            (self.t("notice_cap_remaining"), self.money(cap.remaining)),
            (self.t("notice_cap_stopped"), self.money(cap.stopped)),
        ]
        return [
            *self.subheading(self.t("notice_cap_title")),
            self.para(self.t("notice_cap_text"), "small"),
            *(
                [self.para(self.t("notice_cap_rest").format(payer=self.data.rest_payer), "small")]
                if self.data.rest_payer
                else []
            ),
            self.table(None, [[k, v] for k, v in pairs], [0.7, 0.3], numeric=[1]),
        ]

    def lines_story(self) -> list[Flowable]:
        lines = self.data.lines
        story: list[Flowable] = [*self.subheading(self.t("notice_lines"))]
        if not lines:
            return [*story, self.para(self.t("notice_no_lines"))]
        story.append(self.para(self.t("notice_lines_text"), "small"))
        header = [
            self.t(key)
            for key in (
                "col_metric",
                "col_cohort_period",
                "col_stage_verified",
                "col_count",
                "col_amount",
                "col_settled",
            )
        ]
        rows: list[list[Any]] = []
        for line in lines:
            ids = ", ".join(str(i) for i in line.result_ids)
            stages = ", ".join(self.t(f"status_{stage}") for stage in line.stages)
            what = [line.metric] if line.redemption else [line.metric, self.t("result_ids")]
            rows.append(
                [
                    self.cell_lines([what[0], *(t.format(ids=ids) for t in what[1:])]),
                    self.cell_lines([line.cohort, line.period]),
                    self.cell_lines([stages, format_cell_date(line.verified_on, self.lang)]),
                    "" if line.redemption else format_number(line.count, self.lang),
                    self.money(line.amount),
                    self.t("disputed_held") if line.disputed else self.money(line.settled),
                ]
            )
        rows.append(
            [
                self.t("total"),
                "",
                "",
                "",
                self.money(sum(line.amount for line in lines)),
                self.money(sum(line.settled for line in lines)),
            ]
        )
        widths = self.natural_widths(header, rows, stretch=0)
        story.append(self.table(header, rows, widths, numeric=[3, 4, 5], bold_last=True))
        return story

    def natural_widths(
        self, header: list[str], rows: list[list[Any]], *, stretch: int
    ) -> list[float]:
        """Return column widths (fractions) fitting each column's longest line unwrapped.

        A header may wrap between words; column ``stretch`` takes what is left.
        """
        full = self.pagesize[0] - 2 * self.margin_x
        needed = [max(_text_width(word) for word in title.split()) for title in header]
        for row in rows:
            for i, cell in enumerate(row):
                texts = cell if isinstance(cell, tuple) else [cell]
                needed[i] = max(needed[i], *(_text_width(typeset(t)) for t in texts))
        widths = [n + CELL_PADDING + 1 for n in needed]
        widths[stretch] = full - sum(w for i, w in enumerate(widths) if i != stretch)
        return [w / full for w in widths]

    def _payment_text(self, payment: NoticePayment) -> str:
        text = self.money(payment.amount)
        if payment.paid_by:
            # A party's name from the contract's definition: a plain-text cell, never parsed.
            text = self.t("payment_paid_by").format(amount=text, party=payment.paid_by)
        if payment.reversal:
            text = self.t("payment_reversal").format(amount=text)
        return text

    def payments_story(self) -> list[Flowable]:
        payments = self.data.payments
        story: list[Flowable] = [*self.subheading(self.t("notice_payments"))]
        if not payments:
            return [*story, self.para(self.t("notice_no_payments"))]
        rows = [
            [
                format_cell_date(p.on, self.lang),
                self._payment_text(p),
            ]
            for p in payments
        ]
        rows.append([self.t("total"), self.money(sum(p.amount for p in payments))])
        story.append(
            self.table(
                [self.t("col_date"), self.t("col_payment")],
                rows,
                [0.5, 0.5],
                numeric=[1],
                bold_last=True,
            )
        )
        return story

    def ledger_story(self) -> list[Flowable]:
        head = self.data.chain_head
        # Kept on one page: a hash whose label is on the page before is easy to misread.
        return [
            KeepTogether(
                [
                    self.para(self.t("notice_ledger"), "h2"),
                    self.para(self.t("notice_ledger_text"), "small"),
                    self.para(self.t("chain_head"), "caption"),
                    self.para(head.hash, "mono"),
                    self.para(self.t("entry_count"), "caption"),
                    self.para(format_number(head.entry_count, self.lang)),
                    self.para(self.t("notice_offline_check"), "caption"),
                    self.para(self.data.offline_check_command, "mono"),
                ]
            )
        ]


def _text_width(text: str) -> float:
    # Measured in bold: the total row is bold, and a bold figure is the widest.
    return stringWidth(text, FONT_BOLD, CELL_SIZE)
