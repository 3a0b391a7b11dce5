"""
Describe what an evaluation report shows, independent of the database.

A selector fills these frozen dataclasses from the ledger; the renderers in
``reports.rendering`` only lay them out. Keeping the two apart means a report
can be rebuilt byte for byte from the same data, and tested without a database.

Conventions:

- Money is always an ``int`` in minor units (cents for EUR) of
  ``Programme.currency``. Never ``float``.
- Participant counts are plain ``int``; the public renderer masks small ones.
  Nothing here is ever participant-level: only aggregates per cohort.
- Ratios that are not counts (XIRR, MOIC, DPI) are ``Decimal``; ``None`` means
  "not defined" (e.g. an IRR that does not exist) and is printed as such.
- Every ``str`` may come from a user and is escaped by the renderer.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Literal

Edition = Literal["public", "manager"]
Language = Literal["fr", "en"]
PartyRole = Literal["payer", "investor", "guarantor", "provider", "intermediary", "evaluator"]
ResultStatus = Literal["interim", "final"]
ThresholdBasis = Literal["points", "relative"]
Direction = Literal["higher_is_better", "lower_is_better"]
VerificationAction = Literal["submitted", "verified", "rejected", "amended", "accepted", "disputed"]
RepaymentCategory = Literal["no_repayment", "some_repayment", "principal_repaid", "positive_return"]

# Roles whose names the public edition never prints: investors' positions are
# confidential (DOMAIN: public funders see aggregated investor returns only).
CONFIDENTIAL_ROLES: frozenset[str] = frozenset({"investor", "guarantor"})

# Prefixes of the PDF keywords that name the programme and the chain head, so that a
# report file can be checked against the ledger later (reports.services.report_verify_file).
KEYWORD_PROGRAMME = "sib-programme:"
KEYWORD_HEAD = "sib-chain-head:"


@dataclass(frozen=True, slots=True)
class Party:
    """A party to the contract, e.g. a payer with its share of each payment."""

    name: str
    role: PartyRole
    # Co-payer share in basis points (7000 = 70 %); None for other roles.
    share_bp: int | None = None
    # A payer whose share depends on the cohort or metric (payer splits): no one share.
    share_by_split: bool = False
    # The residual (top-up) payer: it pays the rest of each payment, no share of its own.
    share_rest: bool = False


@dataclass(frozen=True, slots=True)
class Programme:
    """The bond the report is about."""

    name: str
    slug: str
    period_start: date
    period_end: date
    currency: str
    parties: tuple[Party, ...]

    def parties_with_role(self, role: PartyRole) -> tuple[Party, ...]:
        """Return the parties holding ``role``, in the given order."""
        return tuple(p for p in self.parties if p.role == role)


@dataclass(frozen=True, slots=True)
class SummaryFigures:
    """Headline figures for the executive summary."""

    participants_enrolled: int
    outcomes_verified: int
    outcome_payments_paid: int
    # Verified but not yet paid.
    outcome_payments_due: int
    contract_cap: int | None
    # Share of the cap used: dues ÷ cap (payments.cap_use), None without a cap.
    cap_used: Fraction | None


@dataclass(frozen=True, slots=True)
class CohortResult:
    """Achieved against target for one cohort and period, as verified."""

    cohort: str
    period: str
    status: ResultStatus
    achieved: int
    target: int


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    """Treated cohort against its comparison group, with the payment threshold.

    ``threshold_bp`` is the improvement needed before anything is paid, in
    basis points: of percentage points when ``threshold_basis`` is
    ``"points"`` (1000 = the treated rate must exceed the comparison rate by
    10 points), of the comparison rate when ``"relative"`` (1000 = 10 % better).

    ``direction`` says which way is better. For ``"lower_is_better"`` (a
    re-offending rate) the improvement is how far the treated rate is *below*
    the comparison rate: 24 % treated against 30 % is a relative improvement of
    20 %, and a 10 % threshold asks for a treated rate of at most 27 %.
    """

    cohort: str
    treated_successes: int
    treated_size: int
    comparison_successes: int
    comparison_size: int
    threshold_bp: int
    threshold_basis: ThresholdBasis = "relative"
    direction: Direction = "higher_is_better"


@dataclass(frozen=True, slots=True)
class MetricSection:
    """One outcome metric: what it measures, how it pays, what was achieved."""

    code: str
    name: str
    definition: str
    mechanism: str
    # Rate card price of one outcome unit; None for comparison-only metrics.
    unit_price: int | None
    results: tuple[CohortResult, ...]
    comparisons: tuple[ComparisonResult, ...] = ()


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """Actual outcome payment made by one payer for one period."""

    period: str
    payer: str
    amount: int


@dataclass(frozen=True, slots=True)
class InvestorRepayment:
    """Investor repayment aggregated over all investors (no names).

    ``disclosed`` is False when the edition's readers may not see these sums (fewer than
    ``min_investors`` investors, sib.privacy): the amounts are then 0 and not printed;
    the category still is.
    """

    investor_count: int
    capital_committed: int
    capital_drawn: int
    principal_repaid: int
    return_paid: int
    category: RepaymentCategory
    disclosed: bool = True
    min_investors: int = 0


@dataclass(frozen=True, slots=True)
class VerificationEntry:
    """One step in the life of a result: submitted, verified, amended, disputed."""

    on: date
    metric: str
    cohort: str
    period: str
    action: VerificationAction
    actor: str
    # Reason for an amendment or dispute; empty otherwise.
    note: str = ""


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The head of the programme's hash chain when the report was built."""

    hash: str
    entry_count: int


@dataclass(frozen=True, slots=True)
class WaterfallStep:
    """One step of the distribution order and what it received to date.

    ``cap`` is the step's own limit in money (a fee cap, a recycling limit); a
    tranche's return cap is part of the label.
    """

    order: int
    label: str
    allocated: int
    cap: int | None = None


@dataclass(frozen=True, slots=True)
class WaterfallTotals:
    """How the outcome payments received were shared out, and what the ledger records.

    ``received`` = ``distributed`` + ``residual`` (left with, or not claimed from,
    the payers). ``recorded`` is what distribution transactions posted to the
    ledger; recycled money stays in the programme and is never posted.
    """

    received: int
    distributed: int
    residual: int
    recorded: int
    guarantee_called: int = 0


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """One dated line of an investor's repayment schedule."""

    investor: str
    on: date
    drawn: int
    principal_repaid: int
    return_paid: int
    outstanding: int
    projected: bool = False


@dataclass(frozen=True, slots=True)
class InvestorMetrics:
    """Per-investor position and performance; ``None`` means not defined."""

    investor: str
    tranche: str
    committed: int
    drawn: int
    distributed: int
    xirr: Decimal | None
    moic: Decimal | None
    dpi: Decimal | None


@dataclass(frozen=True, slots=True)
class ScenarioProjection:
    """Projected totals under one set of assumptions, lenders together.

    ``guarantee_paid`` is principal made good by guarantors; MOIC counts it as
    returned, as the category does.
    """

    name: str
    assumptions: str
    outcome_payments: int
    principal_repaid: int
    return_paid: int
    category: RepaymentCategory
    moic: Decimal | None
    xirr: Decimal | None
    drawn: int = 0
    guarantee_paid: int = 0


@dataclass(frozen=True, slots=True)
class VariationRow:
    """One contract variation as printed: its date, its kind and what it changed."""

    on: date
    kind: str
    change: str


@dataclass(frozen=True, slots=True)
class VariationTable:
    """The contract variations in force at the report's state, worded in its language."""

    title: str
    headers: tuple[str, str, str]
    rows: tuple[VariationRow, ...]


@dataclass(frozen=True, slots=True)
class ManagerData:
    """Sections only fund managers may see."""

    waterfall: tuple[WaterfallStep, ...]
    schedule: tuple[ScheduleRow, ...]
    investor_metrics: tuple[InvestorMetrics, ...]
    scenarios: tuple[ScenarioProjection, ...]
    # None when the ledger state has no schedule (no contract terms chained yet).
    waterfall_totals: WaterfallTotals | None = None
    # None when the programme was never varied (payments.variations).
    variations: VariationTable | None = None


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything an evaluation report prints, for one edition and language."""

    programme: Programme
    edition: Edition
    language: Language
    report_date: date
    summary: SummaryFigures
    metrics: tuple[MetricSection, ...]
    payments: tuple[PaymentRow, ...]
    investor_repayment: InvestorRepayment
    verification_log: tuple[VerificationEntry, ...]
    chain_head: ChainHead
    manager: ManagerData | None = None
    # Counts from 1 to this value are masked in the public edition.
    mask_threshold: int = 10
    methodology_note: str = field(default="")

    def __post_init__(self) -> None:
        # Refuse rather than silently drop: a public edition built from data
        # holding investor positions means the selector loaded too much.
        if self.edition == "public" and self.manager is not None:
            raise ValueError("a public report must not carry manager data")
        if self.edition == "manager" and self.manager is None:
            raise ValueError("a manager report needs manager data")
        if self.mask_threshold < 0:
            raise ValueError("mask_threshold must be >= 0")

    @property
    def verify_command(self) -> str:
        """Return the shell command that re-checks the printed chain head."""
        return f"python manage.py ledger_verify {shlex.quote(self.programme.slug)}"

    @property
    def filename(self) -> str:
        """Return the name the report is downloaded under."""
        head = self.chain_head.hash[:12]
        return f"{self.programme.slug}-{self.edition}-{self.language}-{head}.pdf"

    @property
    def verify_file_command(self) -> str:
        """Return the shell command that checks this very file against the ledger."""
        return f"python manage.py report_verify {shlex.quote(self.filename)}"


# --- payment notices (reports.notices) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoticeLine:
    """One line of the engine's plan behind what the payer owes: its share of it.

    ``settled`` is the part of ``amount`` covered by the payer's payments, dues settled
    oldest first (by ``verified_on``); a disputed line is held, never settled.
    """

    metric: str
    cohort: str
    period: str
    stages: tuple[str, ...]
    verified_on: date
    result_ids: tuple[int, ...]
    count: int
    amount: int
    disputed: bool = False
    settled: int = 0
    # A principal redemption the payer owes (payments.redemption_dues): no results.
    redemption: bool = False


@dataclass(frozen=True, slots=True)
class NoticePayment:
    """A payment received from the payer (a reversal is negative), dated; `paid_by` names
    the other payer that paid it in a joint payment (payments.joint_payments)."""

    on: date
    amount: int
    reversal: bool = False
    paid_by: str = ""


@dataclass(frozen=True, slots=True)
class NoticeFigures:
    """The payer's position (payments.position.PayerPosition), as printed."""

    due: int
    disputed: int
    received: int
    advance: int
    credit: int
    outstanding: int
    payable: int
    # Its credit paid back to it (payments.credit_refunds), already out of `received`.
    refunded: int = 0


@dataclass(frozen=True, slots=True)
class NoticeCap:
    """The payer's cap as its dues use it (payments.payer_caps.PayerCap), as printed."""

    cap: int
    used: int
    remaining: int
    stopped: int


@dataclass(frozen=True, slots=True)
class NoticeData:
    """Everything one payer's outcome payment notice prints, in one language."""

    programme: Programme
    payer: str
    payer_slug: str
    # The payer's share of each outcome payment, in basis points (7000 = 70 %); None when
    # its share depends on the cohort or metric (payer splits, payments.rules.payers).
    payer_share_bp: int | None
    language: Language
    report_date: date
    lines: tuple[NoticeLine, ...]
    payments: tuple[NoticePayment, ...]
    figures: NoticeFigures
    chain_head: ChainHead
    edition: Literal["payer_notice"] = "payer_notice"
    # The residual (top-up) payer, with no payer splits: its share is "the rest".
    payer_pays_rest: bool = False
    # The residual payer's name, when it is another payer: what this payer's cap stops
    # falls to it (payments.rules.payers).
    rest_payer: str | None = None
    # The payer's cap; None when the contract gives it none.
    cap: NoticeCap | None = None

    def __post_init__(self) -> None:
        # The notice's promise: its lines add up to the position's due, to the cent.
        if sum(line.amount for line in self.lines) != self.figures.due:
            raise ValueError("the notice's lines do not add up to the payer's due")

    @property
    def filename(self) -> str:
        """Return the name the notice is downloaded under (as reports.models.Report)."""
        head = self.chain_head.hash[:12]
        return f"{self.programme.slug}-notice-{self.payer_slug}-{self.language}-{head}.pdf"

    @property
    def offline_check_command(self) -> str:
        """Return the command a payer runs to check this notice without the server.

        The notice goes to a public funder, who cannot run the server's commands: it
        checks the file against the verification bundle with the one-file verifier
        (docs/security.md). The fingerprint stays a placeholder: it must come from the
        contract, never from the document being checked.
        """
        return (
            f"python -m sib_verify bundle.json {shlex.quote(self.filename)}"
            " --certificate-sha256 FINGERPRINT"
        )
