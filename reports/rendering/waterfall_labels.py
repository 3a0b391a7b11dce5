"""The manager edition's waterfall section: the wording of its totals and its note.

Kept apart from reports.rendering.labels (at its size limit) as the log's wording is
(reports.rendering.log): one job, the waterfall's totals. "Payments received applied to
dues" is the money the waterfall ran on: a payment counts for what it settled of its
payers' dues, an advance only once applied (payments.schedule_money, issue 11), so an
advance not yet owed is not in it.
"""

from __future__ import annotations

from typing import Final

from reports.rendering.wording import Text, Wording, gettext_noop

WATERFALL_TEXTS: Final[dict[str, Text]] = {
    "waterfall_distributed": gettext_noop("Distributed by the waterfall"),
    "waterfall_residual": gettext_noop("Left with the payer (not claimed)"),
    "waterfall_received": gettext_noop("Payments received applied to dues"),
    "waterfall_note": gettext_noop(
        "What the waterfall allocates from the payments applied to dues at this ledger "
        "state, step by step. A distribution is recorded in the ledger when it is paid "
        "out; recycled money stays in the programme and is not posted."
    ),
}
WATERFALL_LABELS: Final = Wording(WATERFALL_TEXTS)
