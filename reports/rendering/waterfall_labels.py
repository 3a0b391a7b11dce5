"""The manager edition's waterfall section: the wording of its totals and its note.

Kept apart from reports.rendering.labels (at its size limit) as the log's wording is
(reports.rendering.log): one job, the waterfall's totals. "Payments received applied to
dues" is the money the waterfall ran on: a payment counts for what it settled of its
payers' dues, an advance only once applied (payments.schedule_money, issue 11), so an
advance not yet owed is not in it.
"""

from __future__ import annotations

from typing import Final

WATERFALL_LABELS: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "waterfall_distributed": "Distribué par la cascade",
        "waterfall_residual": "Laissé au payeur (non réclamé)",
        "waterfall_received": "Paiements reçus imputés sur des dus",
        "waterfall_note": (
            "Montants que la cascade alloue, étape par étape, sur les paiements imputés sur "
            "des dus à cet état du registre. Une distribution y est enregistrée quand elle est "
            "versée ; l’argent réinvesti reste dans le programme et n’y est pas passé."
        ),
    },
    "en": {
        "waterfall_distributed": "Distributed by the waterfall",
        "waterfall_residual": "Left with the payer (not claimed)",
        "waterfall_received": "Payments received applied to dues",
        "waterfall_note": (
            "What the waterfall allocates from the payments applied to dues at this ledger "
            "state, step by step. A distribution is recorded in the ledger when it is paid "
            "out; recycled money stays in the programme and is not posted."
        ),
    },
}
