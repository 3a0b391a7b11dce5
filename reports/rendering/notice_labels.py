"""
Hold the payment notice's fixed wording: English msgids of the one catalogue.

Kept beside ``labels.LABELS`` (the evaluation report's wording), translated the same
way (reports.rendering.wording); every key has its French translation (tested).
"""

from __future__ import annotations

from typing import Final

from reports.rendering.wording import Text, Wording, gettext_noop, pgettext_noop

NOTICE_TEXTS: Final[dict[str, Text]] = {
    "edition_payer_notice": gettext_noop("Outcome payment notice"),
    "notice_title": gettext_noop("Outcome payment notice"),
    "notice_to": gettext_noop("Addressed to"),
    "notice_share": gettext_noop("Share of each payment"),
    "notice_share_by_split": gettext_noop("by cohort or metric"),
    "notice_share_rest": gettext_noop("the rest"),
    "notice_cap_rest": gettext_noop(
        "Except where {payer} pays the rest of a payment: what the cap stops on that "
        "payment falls to {payer}, up to its own cap."
    ),
    "notice_date": gettext_noop("Notice date"),
    "notice_state": gettext_noop("Ledger state"),
    "notice_state_value": gettext_noop("{count} entries"),
    "notice_intro": gettext_noop(
        "This notice states what the programme's verified results make the payer "
        "owe, what it has already paid and what remains to pay, at the ledger state "
        "whose chain head is printed at the end. The amounts are the programme's "
        "position: the same on every page and in every report."
    ),
    "notice_position": gettext_noop("Payer's position"),
    "notice_due": pgettext_noop("payment notice", "Outcome payments due (verified results)"),
    "notice_disputed": gettext_noop("of which disputed (held until resolved)"),
    "notice_received": gettext_noop("Payments received"),
    "notice_advance": gettext_noop("Advance received, not yet applied"),
    "notice_credit": gettext_noop("Credit owed to the payer"),
    "notice_refunded": gettext_noop("Credit refunded to the payer (out of the payments received)"),
    "notice_outstanding": pgettext_noop("payment notice", "Outstanding"),
    "notice_payable": gettext_noop("To pay now (outstanding less disputed amounts)"),
    "notice_cap_title": gettext_noop("Payer's cap"),
    "notice_cap_text": gettext_noop(
        "The contract caps what the payer owes over the whole programme. Once the cap "
        "is reached, the rest of what its results are priced at is stopped: owed by "
        "no one and not moved to the other payers."
    ),
    "notice_cap": gettext_noop("Cap"),
    "notice_cap_used": gettext_noop("Used by its payments due"),
    "notice_cap_remaining": gettext_noop("Remaining under the cap"),
    "notice_cap_stopped": gettext_noop("Stopped by the cap (owed by no one)"),
    "notice_lines": gettext_noop("Verified results behind the amounts due"),
    "notice_lines_text": gettext_noop(
        "Each line is a verified result (or a group of results at the same price) "
        "and the payer's share of its amount. Payments received settle the oldest "
        "dues first; a disputed result is held and settled only once resolved."
    ),
    "notice_no_lines": gettext_noop("No verified result makes a payment due yet."),
    "col_metric": gettext_noop("Metric / results"),
    "col_cohort_period": gettext_noop("Cohort / period"),
    "col_stage_verified": gettext_noop("Stage / verified on"),
    "col_count": gettext_noop("Count"),
    "col_amount": gettext_noop("Amount due"),
    "col_settled": gettext_noop("Settled"),
    "result_ids": gettext_noop("result(s) no. {ids}"),
    "disputed_held": gettext_noop("disputed"),
    "notice_payments": gettext_noop("Payments received from the payer"),
    "notice_no_payments": gettext_noop("No payment received."),
    "col_date": gettext_noop("Date"),
    "col_payment": gettext_noop("Amount"),
    "payment_reversal": gettext_noop("{amount} (reversal)"),
    "payment_paid_by": gettext_noop("{amount}, paid by {party}"),
    "notice_ledger": pgettext_noop("payment notice", "Ledger and integrity check"),
    "notice_ledger_text": gettext_noop(
        "This notice was built from the programme's ledger whose chain head is "
        "printed below, and signed by the ledger. To check it without trusting the "
        "server, download the programme's verification bundle from the portal and run "
        "the command below with the ledger certificate's fingerprint you were given "
        "with the contract."
    ),
    "notice_offline_check": gettext_noop("Check this notice offline"),
}
NOTICE_LABELS: Final = Wording(NOTICE_TEXTS)
