"""
Hold the evaluation report's fixed wording: English msgids of the one catalogue.

The French is in locale/fr/LC_MESSAGES/django.po like the portal's, read without
Django settings (reports.rendering.wording). A test checks that every key has its
French translation. Templates use ``str.format`` placeholders; callers escape the
values they interpolate.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from babel.dates import get_month_names

from reports.rendering.wording import Text, Wording, gettext_noop, pgettext_noop

REPORT_TEXTS: Final[dict[str, Text]] = {
    "report_title": gettext_noop("Evaluation report"),
    "edition_public": gettext_noop("Public edition"),
    "edition_manager": gettext_noop("Manager edition — confidential"),
    "confidential_notice": gettext_noop(
        "Confidential document for fund managers only: it contains individual investor positions."
    ),
    "public_notice": gettext_noop(
        "Public document: counts from 1 to {threshold} are masked and no "
        "individual investor position is shown."
    ),
    "period": gettext_noop("Period"),
    "period_range": gettext_noop("{start} – {end}"),
    "report_date": gettext_noop("Report date"),
    "edition": gettext_noop("Edition"),
    "currency": gettext_noop("Currency"),
    "parties": pgettext_noop("report", "Parties"),
    "role": gettext_noop("Role"),
    "name": gettext_noop("Name"),
    "role_payer": pgettext_noop("report", "Outcome payer"),
    "role_investor": gettext_noop("Investor"),
    "role_guarantor": gettext_noop("Guarantor"),
    "role_provider": pgettext_noop("report", "Service provider"),
    "role_intermediary": gettext_noop("Intermediary"),
    "role_evaluator": gettext_noop("Independent evaluator"),
    "payer_share": gettext_noop("{name} ({share})"),
    "investors_aggregated": gettext_noop("{count} investors (not named)"),
    "guarantors_aggregated": gettext_noop("{count} guarantor(s) (not named)"),
    "toc": gettext_noop("Contents"),
    "summary": gettext_noop("Executive summary"),
    "participants_enrolled": gettext_noop("Participants enrolled"),
    "outcomes_verified": gettext_noop("Verified outcomes"),
    "outcome_payments_paid": gettext_noop("Outcome payments paid"),
    "outcome_payments_due": gettext_noop("Payments due (verified, not yet paid)"),
    "contract_cap": gettext_noop("Contract cap"),
    "cap_used": gettext_noop("Share of cap used"),
    "capital_drawn": gettext_noop("Capital drawn"),
    "repayment_category": gettext_noop("Investor repayment"),
    "figure": gettext_noop("Key figure"),
    "value": gettext_noop("Value"),
    "metric_heading": gettext_noop("Metric: {name}"),
    "definition": gettext_noop("Definition"),
    "mechanism": gettext_noop("Payment mechanism"),
    "unit_price": gettext_noop("Unit price"),
    "results": gettext_noop("Results by cohort and period"),
    "cohort": gettext_noop("Cohort"),
    "status": pgettext_noop("report", "Status"),
    "status_interim": gettext_noop("interim"),
    "status_final": gettext_noop("final"),
    "achieved": gettext_noop("Achieved"),
    "target": gettext_noop("Target"),
    "achievement_rate": gettext_noop("Achievement"),
    "chart_achieved_title": gettext_noop("Achieved and target — latest period of each cohort"),
    "comparison": gettext_noop("Comparison with the comparison group"),
    "treated": gettext_noop("Treated cohort"),
    "treated_rate": gettext_noop("Treated rate"),
    "comparison_rate": gettext_noop("Comparison rate"),
    "improvement": gettext_noop("Improvement"),
    "threshold": gettext_noop("Threshold"),
    "required_rate": gettext_noop("Payment threshold"),
    "required_rate_lower": gettext_noop("Payment threshold (highest rate)"),
    "lower_is_better_note": gettext_noop(
        "For this metric a lower rate is better: the improvement is how far the "
        "cohort's rate is below the comparison group's, relative to it; the threshold "
        "is met when the cohort's rate is at most the payment threshold."
    ),
    "threshold_met": gettext_noop("Threshold met"),
    "threshold_relative": gettext_noop("{value} (relative)"),
    "yes": gettext_noop("yes"),
    "no": gettext_noop("no"),
    "masked": gettext_noop("masked"),
    "chart_comparison_title": gettext_noop("Success rates: treated cohort and comparison group"),
    "chart_comparison_title_lower": gettext_noop(
        "Measured rates (lower is better): treated cohort and comparison group"
    ),
    "no_results": pgettext_noop("report", "No verified result yet."),
    "payments": gettext_noop("Outcome payments"),
    "payer": gettext_noop("Payer"),
    "amount": gettext_noop("Amount"),
    "cumulative": gettext_noop("Cumulative"),
    "total": gettext_noop("Total"),
    "total_by_payer": gettext_noop("Total by payer"),
    "chart_payments_title": gettext_noop("Cumulative payments and contract cap"),
    "chart_schedule_title": gettext_noop("Per investor: drawn, principal repaid, return paid"),
    "cumulative_paid": gettext_noop("Cumulative paid"),
    "no_payments": gettext_noop("No payment made yet."),
    "investor_repayment": gettext_noop("Investor repayment (aggregated)"),
    "investor_aggregate_note": gettext_noop("Amounts aggregated over {count} investors."),
    "not_disclosed": gettext_noop("not disclosed"),
    "cap_unknown": gettext_noop("unknown"),
    "investor_not_disclosed_note": gettext_noop(
        "Amounts not disclosed: they would cover {count} investor(s), fewer than "
        "{minimum}, and reveal one investor's position. Only the repayment category "
        "is given."
    ),
    "capital_committed": gettext_noop("Capital committed"),
    "principal_repaid": pgettext_noop("report", "Principal repaid"),
    "return_paid": pgettext_noop("report", "Return paid"),
    "principal_outstanding": gettext_noop("Principal outstanding"),
    "category_no_repayment": gettext_noop("no repayment"),
    "category_some_repayment": gettext_noop("some repayment (below principal)"),
    "category_principal_repaid": gettext_noop("principal repaid (no net return)"),
    "category_positive_return": gettext_noop("principal repaid with a positive return"),
    "methodology": gettext_noop("Methodology and verification log"),
    "methodology_text": gettext_noop(
        "Outcomes are measured and verified by the independent evaluator; "
        "no other party may enter or verify them. A verified result is "
        "never edited: a correction is a new, linked entry with a reason. "
        "Every verified result and every money movement is hash-chained "
        "in the programme's ledger."
    ),
    "masking_text": gettext_noop(
        "Participant protection: in the public edition every participant "
        "count from 1 to {threshold} is masked, in tables and charts alike. "
        "In the results tables, other counts of the same period are masked "
        "too where needed (secondary suppression), so that no masked count "
        "can be worked out by subtraction from a published total; all of "
        "them show as “{hidden}”, the others as “{masked}”. Rates computed "
        "on a masked count are masked too. No individual data is published."
    ),
    "manager_masking_text": gettext_noop(
        "Manager edition: counts are exact, not masked. This document must not be circulated."
    ),
    "verification_log": gettext_noop("Verification log"),
    "date": gettext_noop("Date"),
    "result": gettext_noop("Result"),
    "action": gettext_noop("Action"),
    "actor": gettext_noop("By"),
    "note": gettext_noop("Reason"),
    "action_submitted": gettext_noop("submitted"),
    "action_verified": gettext_noop("verified"),
    "action_rejected": gettext_noop("rejected"),
    "action_amended": gettext_noop("amended"),
    "action_accepted": gettext_noop("accepted by payer"),
    "action_disputed": gettext_noop("disputed by payer"),
    "no_log": gettext_noop("No verification entry."),
    "ledger": gettext_noop("Ledger and integrity check"),
    "ledger_text": gettext_noop(
        "This report was built from the programme's ledger whose chain "
        "head is printed below. To check that nothing has changed since, "
        "run the command shown and compare the hash it prints with this "
        "one."
    ),
    "ledger_public_text": gettext_noop(
        "This report was built from the programme's ledger, whose chain head is printed "
        "below. The public funders party to the contract check this file against the "
        "ledger, offline, with the programme's verification bundle."
    ),
    "chain_head": gettext_noop("Chain head"),
    "entry_count": gettext_noop("Ledger entries"),
    "verify_command": gettext_noop("Verification command"),
    "verify_file_command": gettext_noop("Check this file against the ledger"),
    "no_waterfall": gettext_noop(
        "No schedule at this ledger state: the contract terms were not yet recorded in it."
    ),
    "no_scenarios": gettext_noop("No projection computed for this ledger state."),
    "waterfall": gettext_noop("Distribution waterfall"),
    "step": pgettext_noop("report", "Step"),
    "order": gettext_noop("Order"),
    "allocated": gettext_noop("Allocated to date"),
    "cap": gettext_noop("Cap"),
    "none_cap": gettext_noop("—"),
    "schedule": gettext_noop("Repayment schedule per investor"),
    "investor": gettext_noop("Investor"),
    "drawn": gettext_noop("Drawn"),
    "outstanding": gettext_noop("Outstanding"),
    "projected": gettext_noop("projected"),
    "actual": pgettext_noop("report", "actual"),
    "kind": gettext_noop("Kind"),
    "investor_metrics": gettext_noop("Investor metrics"),
    "tranche": gettext_noop("Tranche"),
    "committed": gettext_noop("Committed"),
    "distributed": gettext_noop("Distributed"),
    "xirr": gettext_noop("XIRR"),
    "moic": gettext_noop("MOIC"),
    "dpi": gettext_noop("DPI"),
    "not_defined": gettext_noop("not defined"),
    "metrics_note": gettext_noop(
        "XIRR, MOIC and DPI to date: only the cash flows already in the "
        "ledger count. While capital is still outstanding, XIRR is therefore "
        "negative, as if the rest were lost; the scenario projections show "
        "what repayment would give. “not defined”: the metric does not exist "
        "or does not converge for these cash flows; no approximate value is "
        "printed."
    ),
    "scenarios": gettext_noop("Scenario projections"),
    "scenario": gettext_noop("Scenario"),
    "assumptions": gettext_noop("Assumptions"),
    "outcome_payments": gettext_noop("Outcome payments"),
    "step_fees_share": gettext_noop("Fees — {recipient} ({share} of what is left)"),
    "step_fees_amount": gettext_noop("Fees — {recipient} ({amount} per payment)"),
    "step_principal": gettext_noop("Principal — {tranche}"),
    "step_return": gettext_noop("Return — {tranche} ({cap})"),
    "step_guarantee_reimbursement": gettext_noop("Guarantors reimbursed — {tranche}"),
    "step_provider_success_fee": gettext_noop("Provider success fee — {recipient} ({share})"),
    "step_investor_success_fee": gettext_noop("Investors’ success fee — {tranche} ({share})"),
    "step_recycle": gettext_noop("Recycled into the programme"),
    "cap_annual_rate": gettext_noop("capped at {rate} a year"),
    "cap_irr": gettext_noop("IRR capped at {rate}"),
    "cap_multiple": gettext_noop("total returned capped at {multiple} drawn"),
    "cap_none": gettext_noop("uncapped"),
    "distributions_recorded": gettext_noop("Distributions recorded in the ledger"),
    "guarantee_called": gettext_noop("Guarantee calls"),
    "scenario_assumption": gettext_noop("{percent} of targets"),
    "projection_note": gettext_noop(
        "Each projection runs the same rules and waterfall on forecast results: every "
        "metric's target times the percentage, spread over its periods and paid at the "
        "end of each. Commitments not yet drawn are taken as drawn in full on their "
        "commitment date; return stops and guarantees are called at the programme's end. "
        "Totals of all lenders together."
    ),
    "capital_drawn_assumed": gettext_noop("Capital drawn (assumed)"),
    "guarantee_paid": gettext_noop("Paid by guarantors"),
    "page_of": gettext_noop("Page {page} / {total}"),
    "ledger_footer": gettext_noop("Ledger {hash}"),
    "chart_count_axis": gettext_noop("Participants"),
    "chart_rate_axis": gettext_noop("Rate"),
    "metadata_subject": gettext_noop("Evaluation report ({edition}) — {programme}"),
    "metadata_keywords": gettext_noop("social impact bond, evaluation, outcomes, payments"),
}
LABELS: Final = Wording(REPORT_TEXTS)


def label(lang: str, key: str) -> str:
    """Return the fixed wording for ``key`` in ``lang``."""
    return LABELS[lang][key]


def month_names(lang: str) -> tuple[str, ...]:
    """Return the twelve month names, January first, from Babel's CLDR data."""
    return _month_names(lang)


@cache
def _month_names(lang: str) -> tuple[str, ...]:
    # CLDR's "wide" names as used inside a date: "janvier", "January".
    names = get_month_names("wide", locale=lang)
    return tuple(names[month] for month in range(1, 13))
