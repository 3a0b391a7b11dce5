"""
Lay out the manager edition: the public report plus investor positions.

Fund managers see exact counts (no masking), every party by name, the
distribution waterfall, each investor's schedule and metrics, and scenario
projections side by side. It must never leave the fund managers' hands.
"""

from __future__ import annotations

from reportlab.platypus import Flowable, Paragraph, Spacer

from reports.document import ManagerData
from reports.rendering.base import Section
from reports.rendering.charts import investor_repayment_chart
from reports.rendering.formatting import (
    format_cell_date,
    format_multiple,
    format_number,
    format_optional_percent,
)
from reports.rendering.log import LOG_LABELS, Rows, manager_log
from reports.rendering.masking import NO_MASK, CountMask
from reports.rendering.public import PublicRenderer
from reports.rendering.waterfall_labels import WATERFALL_LABELS

# Scenarios are compared as columns; more than this per table gets unreadable.
_SCENARIOS_PER_TABLE = 4


class ManagerRenderer(PublicRenderer):
    """Render the confidential manager edition of the evaluation report."""

    edition = "manager"

    def get_mask(self) -> CountMask:
        # Managers run the programme and see exact counts.
        return NO_MASK

    @property
    def manager(self) -> ManagerData:
        """Return the manager-only data (ReportData guarantees it is set)."""
        assert self.data.manager is not None
        return self.data.manager

    def get_sections(self) -> list[Section]:
        sections = super().get_sections()
        extra = [
            Section("waterfall", self.t("waterfall"), self.waterfall_story),
            Section(
                "investor-metrics",
                self.t("investor_metrics"),
                self.investor_metrics_story,
                new_page=False,
            ),
            Section("schedule", self.t("schedule"), self.schedule_story, new_page=False),
            Section("scenarios", self.t("scenarios"), self.scenarios_story, new_page=False),
        ]
        if self.manager.variations is not None:
            extra.append(
                Section(
                    "variations",
                    self.manager.variations.title,
                    self.variations_story,
                    new_page=False,
                )
            )
        after = next(i for i, s in enumerate(sections) if s.key == "investors") + 1
        return [*sections[:after], *extra, *sections[after:]]

    def shows_investor_names(self) -> bool:
        return True

    def cover_notice(self) -> Paragraph:
        return self.para(self.t("confidential_notice"), "small")

    def masking_note(self) -> Paragraph:
        return self.para(self.t("manager_masking_text"))

    def log_rows(self) -> Rows:
        # Fund managers see who took each step and why (sib.privacy: a contract party).
        return manager_log(self.data.verification_log, self.lang, self.t)

    def log_note(self) -> str:
        return LOG_LABELS[self.lang]["log_manager_note"]

    ledger_text_key = "ledger_text"

    def verify_commands(self) -> list[Flowable]:
        """Return the commands that re-check the chain head and this file."""
        return [
            self.para(self.t("verify_command"), "caption"),
            self.para(self.data.verify_command, "mono"),
            self.para(self.t("verify_file_command"), "caption"),
            self.para(self.data.verify_file_command, "mono"),
        ]

    def waterfall_story(self) -> list[Flowable]:
        """Return the distribution order, what each step was allocated, and the ledger's total."""
        totals = self.manager.waterfall_totals
        words = WATERFALL_LABELS[self.lang]
        if totals is None and not self.manager.waterfall:
            return [self.para(self.t("no_waterfall"))]
        rows: list[list[str | Flowable]] = [
            [
                format_number(step.order, self.lang),
                step.label,
                self.money(step.allocated),
                self.money(step.cap) if step.cap is not None else self.t("none_cap"),
            ]
            for step in sorted(self.manager.waterfall, key=lambda s: s.order)
        ]
        if totals is None:
            total = sum(step.allocated for step in self.manager.waterfall)
            rows.append(["", self.t("total"), self.money(total), ""])
        else:
            rows += [
                ["", words["waterfall_distributed"], self.money(totals.distributed), ""],
                ["", words["waterfall_residual"], self.money(totals.residual), ""],
                ["", words["waterfall_received"], self.money(totals.received), ""],
            ]
        story: list[Flowable] = [
            self.table(
                [self.t("order"), self.t("step"), self.t("allocated"), self.t("cap")],
                rows,
                [0.1, 0.5, 0.2, 0.2],
                numeric=[0, 2, 3],
                bold_last=True,
            )
        ]
        if totals is not None:
            ledger = [(self.t("distributions_recorded"), self.money(totals.recorded))]
            if totals.guarantee_called:
                ledger.append((self.t("guarantee_called"), self.money(totals.guarantee_called)))
            story += [Spacer(1, 6), self.key_values(ledger)]
        story += [Spacer(1, 4), self.para(words["waterfall_note"], "small")]
        return story

    def variations_story(self) -> list[Flowable]:
        """Return the contract variations in force: from which date, which, what changed."""
        table = self.manager.variations
        assert table is not None
        rows: list[list[str | Flowable]] = [
            [format_cell_date(row.on, self.lang), row.kind, row.change] for row in table.rows
        ]
        return [self.table(list(table.headers), rows, [0.2, 0.25, 0.55])]

    def investor_metrics_story(self) -> list[Flowable]:
        """Return each investor's position, XIRR, MOIC and DPI."""
        rows: list[list[str | Flowable]] = [
            [
                m.investor,
                m.tranche,
                self.money(m.committed),
                self.money(m.drawn),
                self.money(m.distributed),
                format_optional_percent(m.xirr, self.lang),
                format_multiple(m.moic, self.lang),
                format_multiple(m.dpi, self.lang),
            ]
            for m in self.manager.investor_metrics
        ]
        return [
            self.table(
                [
                    self.t("investor"),
                    self.t("tranche"),
                    self.t("committed"),
                    self.t("drawn"),
                    self.t("distributed"),
                    self.t("xirr"),
                    self.t("moic"),
                    self.t("dpi"),
                ],
                rows,
                [0.18, 0.11, 0.14, 0.14, 0.14, 0.10, 0.09, 0.10],
                numeric=[2, 3, 4, 5, 6, 7],
            ),
            Spacer(1, 4),
            self.para(self.t("metrics_note"), "small"),
        ]

    def schedule_story(self) -> list[Flowable]:
        """Return every investor's dated drawdowns and repayments, then the totals as a chart."""
        rows: list[list[str | Flowable]] = [
            [
                r.investor,
                format_cell_date(r.on, self.lang),
                self.t("projected") if r.projected else self.t("actual"),
                self.money(r.drawn),
                self.money(r.principal_repaid),
                self.money(r.return_paid),
                self.money(r.outstanding),
            ]
            for r in self.manager.schedule
        ]
        return [
            self.table(
                [
                    self.t("investor"),
                    self.t("date"),
                    self.t("kind"),
                    self.t("drawn"),
                    self.t("principal_repaid"),
                    self.t("return_paid"),
                    self.t("outstanding"),
                ],
                rows,
                [0.17, 0.16, 0.12, 0.14, 0.14, 0.13, 0.14],
                numeric=[3, 4, 5, 6],
            ),
            *self.schedule_chart(),
        ]

    def schedule_chart(self) -> list[Flowable]:
        """Return drawn, principal repaid and return paid per investor, as grouped bars."""
        totals: dict[str, list[int]] = {}
        for r in self.manager.schedule:
            row = totals.setdefault(r.investor, [0, 0, 0])
            row[0] += r.drawn
            row[1] += r.principal_repaid
            row[2] += r.return_paid
        if not totals:
            return []
        investors = list(totals)
        drawing = investor_repayment_chart(
            investors,
            [
                (self.t(key), [totals[name][i] for name in investors])
                for i, key in enumerate(("drawn", "principal_repaid", "return_paid"))
            ],
            currency=self.data.programme.currency,
            lang=self.lang,
            style=self.chart_style,
        )
        return [Spacer(1, 8), self.figure(self.t("chart_schedule_title"), drawing)]

    def scenarios_story(self) -> list[Flowable]:
        """Return scenario projections as columns, a few scenarios per table."""
        scenarios = self.manager.scenarios
        if not scenarios:
            return [self.para(self.t("no_scenarios"))]
        story: list[Flowable] = [self.para(self.t("projection_note"), "small")]
        with_guarantee = any(s.guarantee_paid for s in scenarios)
        # As few tables as the limit allows, as even as can be: 5 scenarios give 3 + 2.
        tables = -(-len(scenarios) // _SCENARIOS_PER_TABLE)
        size = -(-len(scenarios) // tables)
        for start in range(0, len(scenarios), size):
            chunk = scenarios[start : start + size]
            measures: list[tuple[str, list[str | Flowable]]] = [
                (self.t("assumptions"), [s.assumptions for s in chunk]),
                (self.t("outcome_payments"), [self.money(s.outcome_payments) for s in chunk]),
                (self.t("capital_drawn_assumed"), [self.money(s.drawn) for s in chunk]),
                (self.t("principal_repaid"), [self.money(s.principal_repaid) for s in chunk]),
            ]
            if with_guarantee:
                measures.append(
                    (self.t("guarantee_paid"), [self.money(s.guarantee_paid) for s in chunk])
                )
            measures += [
                (self.t("return_paid"), [self.money(s.return_paid) for s in chunk]),
                (
                    self.t("repayment_category"),
                    [self.t(f"category_{s.category}") for s in chunk],
                ),
                (self.t("moic"), [format_multiple(s.moic, self.lang) for s in chunk]),
                (self.t("xirr"), [format_optional_percent(s.xirr, self.lang) for s in chunk]),
            ]
            first = 0.24
            share = (1 - first) / len(chunk)
            story.append(
                self.table(
                    [self.t("scenario"), *(s.name for s in chunk)],
                    [[name, *values] for name, values in measures],
                    [first, *([share] * len(chunk))],
                    numeric=list(range(1, len(chunk) + 1)),
                )
            )
            story.append(Spacer(1, 8))
        return story
