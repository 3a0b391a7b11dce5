"""
Lay out the public edition: what payers and the public may see.

Small participant counts are masked everywhere (tables and charts), and
investors appear only in aggregate: no investor or guarantor name is printed,
not even on the cover. A comparison metric's table and chart are laid out by
``comparisons.ComparisonSections``, which this renderer extends.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property, partial

from reportlab.platypus import Flowable, Paragraph, Spacer

from reports.document import (
    CONFIDENTIAL_ROLES,
    KEYWORD_HEAD,
    KEYWORD_PROGRAMME,
    CohortResult,
    MetricSection,
    Party,
)
from reports.rendering.base import Metadata, Section
from reports.rendering.charts import (
    achieved_vs_target_chart,
    cumulative_payments_chart,
)
from reports.rendering.comparisons import ComparisonSections, lower_is_better
from reports.rendering.formatting import (
    format_date,
    format_month,
    format_number,
    format_percent,
)
from reports.rendering.log import LOG_LABELS, Rows, public_log
from reports.rendering.masking import CountMask, hidden_results
from reports.rendering.notice_labels import NOTICE_LABELS

_ROLE_ORDER = ("payer", "provider", "intermediary", "evaluator", "investor", "guarantor")


class PublicRenderer(ComparisonSections):
    """Render the public edition of the evaluation report."""

    edition = "public"

    def get_mask(self) -> CountMask:
        return CountMask(self.data.mask_threshold)

    @cached_property
    def masked_cells(self) -> frozenset[tuple[str, int]]:
        """(metric code, row) of every results-table count this edition hides."""
        return hidden_results(self.data.metrics, self.mask)

    def get_sections(self) -> list[Section]:
        sections = [Section("summary", self.t("summary"), self.summary_story)]
        for index, metric in enumerate(self.data.metrics):
            sections.append(
                Section(
                    f"metric-{index}",
                    self.t("metric_heading").format(name=metric.name),
                    partial(self.metric_story, metric),
                )
            )
        sections += [
            Section("payments", self.t("payments"), self.payments_story),
            Section(
                "investors",
                self.t("investor_repayment"),
                self.investor_repayment_story,
                new_page=False,
            ),
            Section("methodology", self.t("methodology"), self.methodology_story),
            Section(
                "ledger", self.t("ledger"), self.ledger_story, new_page=False, keep_together=True
            ),
        ]
        return sections

    def get_metadata(self) -> Metadata:
        programme = self.data.programme
        # The intermediary runs the contract and issues its reports.
        issuers = programme.parties_with_role("intermediary")
        return Metadata(
            title=f"{self.t('report_title')} — {programme.name}",
            author=", ".join(p.name for p in issuers) or programme.name,
            subject=self.t("metadata_subject").format(
                edition=self.edition_label(), programme=programme.name
            ),
            # report_verify reads the programme and the chain head back from here.
            keywords=(
                f"{self.t('metadata_keywords')}, {programme.slug}, "
                f"{KEYWORD_PROGRAMME}{programme.slug}, {KEYWORD_HEAD}{self.data.chain_head.hash}"
            ),
        )

    # -- cover ---------------------------------------------------------------

    def get_cover(self) -> list[Flowable]:
        data = self.data
        programme = data.programme
        period = self.t("period_range").format(
            start=format_month(programme.period_start, self.lang),
            end=format_month(programme.period_end, self.lang),
        )
        facts = [
            (self.t("period"), period),
            (self.t("report_date"), format_date(data.report_date, self.lang)),
            (self.t("edition"), self.edition_label()),
            (self.t("currency"), programme.currency),
        ]
        story: list[Flowable] = [
            Spacer(1, 40),
            Paragraph(self.t("report_title").upper(), self.styles["cover_kicker"]),
            self.para(programme.name, "cover_title"),
            self.para(self.edition_label(), "cover_edition"),
            self.table(None, [[k, v] for k, v in facts], [0.3, 0.7]),
            Spacer(1, 14),
            *self.subheading(self.t("parties")),
            self.table(
                [self.t("role"), self.t("name")],
                [[role, self.cell_lines(names)] for role, names in self.party_lines()],
                [0.3, 0.7],
            ),
            Spacer(1, 18),
            self.cover_notice(),
        ]
        return story

    def cover_notice(self) -> Paragraph:
        """Return the note under the cover saying what this edition hides."""
        return self.markup(
            "public_notice", "small", threshold=format_number(self.mask.threshold, self.lang)
        )

    def party_lines(self) -> list[tuple[str, list[str]]]:
        """Return (role, names) lines for the cover; investors only counted."""
        lines = []
        for role in _ROLE_ORDER:
            parties = self.data.programme.parties_with_role(role)  # type: ignore[arg-type]
            if not parties:
                continue
            if role in CONFIDENTIAL_ROLES and not self.shows_investor_names():
                key = "investors_aggregated" if role == "investor" else "guarantors_aggregated"
                names = [self.t(key).format(count=len(parties))]
            else:
                names = [self.party_name(p) for p in parties]
            lines.append((self.t(f"role_{role}"), names))
        return lines

    def shows_investor_names(self) -> bool:
        """Return whether this edition may name investors."""
        return False

    def party_name(self, party: Party) -> str:
        """Return a party's name, with its payment share for co-payers."""
        if party.share_by_split:
            # One wording with the payer's notice (reports.rendering.notice_labels).
            by_split = NOTICE_LABELS[self.lang]["notice_share_by_split"]
            return self.t("payer_share").format(name=party.name, share=by_split)
        if party.share_rest:
            rest = NOTICE_LABELS[self.lang]["notice_share_rest"]
            return self.t("payer_share").format(name=party.name, share=rest)
        if party.share_bp is None:
            return party.name
        share = format_percent(Fraction(party.share_bp, 10_000), self.lang, places=0)
        return self.t("payer_share").format(name=party.name, share=share)

    # -- sections --------------------------------------------------------------

    def summary_story(self) -> list[Flowable]:
        """Return the executive summary: headline figures in one table."""
        s = self.data.summary
        investors = self.data.investor_repayment
        # Dues ÷ cap, as the dashboard (payments.cap_use): computed by the selector.
        cap_used = "—" if s.cap_used is None else format_percent(s.cap_used, self.lang)
        pairs = [
            (self.t("participants_enrolled"), self.mask.count(s.participants_enrolled, self.lang)),
            (self.t("outcomes_verified"), self.mask.count(s.outcomes_verified, self.lang)),
            (self.t("outcome_payments_paid"), self.money(s.outcome_payments_paid)),
            (self.t("outcome_payments_due"), self.money(s.outcome_payments_due)),
            (
                self.t("contract_cap"),
                self.t("cap_unknown") if s.contract_cap is None else self.money(s.contract_cap),
            ),
            (self.t("cap_used"), cap_used),
            (
                self.t("capital_drawn"),
                self.money(investors.capital_drawn)
                if investors.disclosed
                else self.t("not_disclosed"),
            ),
            (self.t("repayment_category"), self.t(f"category_{investors.category}")),
        ]
        return [self.key_values(pairs)]

    def metric_story(self, metric: MetricSection) -> list[Flowable]:
        """Return one metric: definition, mechanism, results table and charts."""
        story: list[Flowable] = [
            self.labelled("definition", metric.definition),
            self.labelled("mechanism", metric.mechanism),
        ]
        if metric.unit_price is not None:
            story.append(self.labelled("unit_price", self.money(metric.unit_price)))
        if metric.results:
            story += self.subheading(self.t("results"))
            story.append(self.results_table(metric))
            story.append(self.results_chart(metric))
        elif not metric.comparisons:
            # A comparison metric's results are its comparison table, below.
            story += self.subheading(self.t("results"))
            story.append(self.para(self.t("no_results")))
        if metric.comparisons:
            story += self.subheading(self.t("comparison"))
            story.append(self.comparison_table(metric.comparisons))
            if lower_is_better(metric.comparisons):
                story += [Spacer(1, 3), self.para(self.t("lower_is_better_note"), "small")]
            story.append(self.comparison_figure(metric.comparisons))
        return story

    def results_table(self, metric: MetricSection) -> Flowable:
        """Return achieved vs target per cohort and period."""
        rows = []
        for row, r in enumerate(metric.results):
            hidden = (metric.code, row) in self.masked_cells
            rate = None if hidden else self.mask.rate(r.achieved, r.target, self.lang)
            rows.append(
                [
                    r.cohort,
                    r.period,
                    self.t(f"status_{r.status}"),
                    self.t("masked") if hidden else format_number(r.achieved, self.lang),
                    format_number(r.target, self.lang),
                    rate if rate is not None else self.t("masked"),
                ]
            )
        return self.table(
            [
                self.t("cohort"),
                self.t("period"),
                self.t("status"),
                self.t("achieved"),
                self.t("target"),
                self.t("achievement_rate"),
            ],
            rows,
            [0.22, 0.18, 0.16, 0.14, 0.14, 0.16],
            numeric=[3, 4, 5],
        )

    def results_chart(self, metric: MetricSection) -> Flowable:
        """Return the chart of the latest period of each cohort."""
        # One bar pair per cohort keeps the chart legible however many
        # periods the table lists; it shows only cells the table shows too.
        latest: dict[str, tuple[int, CohortResult]] = {}
        for row, r in enumerate(metric.results):
            latest[r.cohort] = (row, r)
        chosen = list(latest.values())
        drawing = achieved_vs_target_chart(
            [f"{r.cohort} ({r.period})" for _row, r in chosen],
            [r.achieved for _row, r in chosen],
            [r.target for _row, r in chosen],
            lang=self.lang,
            mask=self.mask,
            legend=(self.t("achieved"), self.t("target")),
            hidden=[(metric.code, row) in self.masked_cells for row, _r in chosen],
            hidden_text=self.t("masked"),
            style=self.chart_style,
        )
        return self.figure(self.t("chart_achieved_title"), drawing)

    def payments_story(self) -> list[Flowable]:
        """Return payments by period and payer, totals by payer, and the chart."""
        payments = self.data.payments
        if not payments:
            return [self.para(self.t("no_payments"))]
        running = 0
        rows: list[list[str | Flowable]] = []
        by_period: dict[str, int] = {}
        by_payer: dict[str, int] = {}
        for p in payments:
            running += p.amount
            by_period[p.period] = running
            by_payer[p.payer] = by_payer.get(p.payer, 0) + p.amount
            rows.append([p.period, p.payer, self.money(p.amount), self.money(running)])
        rows.append([self.t("total"), "", self.money(running), ""])
        story: list[Flowable] = [
            self.table(
                [self.t("period"), self.t("payer"), self.t("amount"), self.t("cumulative")],
                rows,
                [0.2, 0.36, 0.22, 0.22],
                numeric=[2, 3],
                bold_last=True,
            ),
            Spacer(1, 6),
        ]
        payer_rows: list[list[str | Flowable]] = [
            [
                payer,
                self.money(amount),
                format_percent(Fraction(amount, running), self.lang) if running else "—",
            ]
            for payer, amount in by_payer.items()
        ]
        story += self.subheading(self.t("total_by_payer"))
        story.append(
            self.table(
                [self.t("payer"), self.t("amount"), "%"],
                payer_rows,
                [0.56, 0.26, 0.18],
                numeric=[1, 2],
            )
        )
        drawing = cumulative_payments_chart(
            list(by_period),
            list(by_period.values()),
            self.data.summary.contract_cap,
            currency=self.data.programme.currency,
            lang=self.lang,
            legend=(self.t("cumulative_paid"), self.t("contract_cap")),
            style=self.chart_style,
        )
        story.append(self.figure(self.t("chart_payments_title"), drawing))
        return story

    def investor_repayment_story(self) -> list[Flowable]:
        """Return investor repayment aggregated over all investors."""
        r = self.data.investor_repayment
        if not r.disclosed:
            # Fewer investors than sib.privacy.MIN_INVESTORS: the selector dropped the sums.
            return [
                self.markup(
                    "investor_not_disclosed_note",
                    count=format_number(r.investor_count, self.lang),
                    minimum=format_number(r.min_investors, self.lang),
                ),
                self.key_values([(self.t("repayment_category"), self.t(f"category_{r.category}"))]),
            ]
        outstanding = max(r.capital_drawn - r.principal_repaid, 0)
        return [
            self.markup(
                "investor_aggregate_note", count=format_number(r.investor_count, self.lang)
            ),
            self.key_values(
                [
                    (self.t("capital_committed"), self.money(r.capital_committed)),
                    (self.t("capital_drawn"), self.money(r.capital_drawn)),
                    (self.t("principal_repaid"), self.money(r.principal_repaid)),
                    (self.t("principal_outstanding"), self.money(outstanding)),
                    (self.t("return_paid"), self.money(r.return_paid)),
                    (self.t("repayment_category"), self.t(f"category_{r.category}")),
                ]
            ),
        ]

    def methodology_story(self) -> list[Flowable]:
        """Return how results are verified and masked, then the log."""
        story: list[Flowable] = [self.para(self.t("methodology_text")), self.masking_note()]
        if self.data.methodology_note:
            story.append(self.para(self.data.methodology_note))
        story += self.subheading(self.t("verification_log"))
        story.append(self.para(self.log_note(), "small"))
        if not self.data.verification_log:
            story.append(self.para(self.t("no_log")))
            return story
        header, rows, widths, stretch = self.log_rows()
        widths = self.fitted_widths(header, rows, widths, stretch=stretch)
        story.append(self.table(header, rows, widths))
        return story

    def log_rows(self) -> Rows:
        """Return the verification log as published: dates, actions and roles, no names."""
        return public_log(self.data.verification_log, self.lang, self.t)

    def log_note(self) -> str:
        """Return what the log under this edition's heading leaves out."""
        return LOG_LABELS[self.lang]["log_public_note"]

    def masking_note(self) -> Paragraph:
        """Return the paragraph explaining how counts are masked."""
        return self.markup(
            "masking_text",
            threshold=format_number(self.mask.threshold, self.lang),
            masked=self.mask.masked_text(self.lang),
            hidden=self.t("masked"),
        )

    def ledger_story(self) -> list[Flowable]:
        """Return the chain head and how a reader has it checked."""
        head = self.data.chain_head
        return [
            self.para(self.t(self.ledger_text_key)),
            Spacer(1, 4),
            self.para(self.t("chain_head"), "caption"),
            self.para(head.hash, "mono"),
            self.para(self.t("entry_count"), "caption"),
            self.para(format_number(head.entry_count, self.lang)),
            *self.verify_commands(),
        ]

    # A published report's readers cannot run the server's commands: the public
    # edition says who checks it; the manager edition prints the commands.
    ledger_text_key = "ledger_public_text"

    def verify_commands(self) -> list[Flowable]:
        """Return the operator's commands that re-check this report (none when published)."""
        return []
