"""
Lay out the verification log as each edition may print it.

The public edition may be published: it prints no user name and no text typed by a
user (sib.privacy), only the date, the result, the action and the *role* that takes the
action. The manager edition, for fund managers only, also prints who and why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from reports.document import VerificationAction, VerificationEntry
from reports.rendering.formatting import format_cell_date
from reports.rendering.wording import Text, Wording, gettext_noop

# The role in which each step of a result's life is taken (sib.permissions): a lead
# evaluator who submits acts as an evaluator; only lead evaluators verify, reject and
# amend; public funders accept or dispute on their payer's behalf.
ACTION_ROLES: Final[dict[VerificationAction, str]] = {
    "submitted": "evaluator",
    "verified": "lead_evaluator",
    "rejected": "lead_evaluator",
    "amended": "lead_evaluator",
    "accepted": "public_funder",
    "disputed": "public_funder",
}

LOG_TEXTS: Final[dict[str, Text]] = {
    "log_role": gettext_noop("Role"),
    "log_role_evaluator": gettext_noop("Evaluator"),
    "log_role_lead_evaluator": gettext_noop("Lead evaluator"),
    "log_role_public_funder": gettext_noop("Public funder"),
    "log_public_note": gettext_noop(
        "The log gives the date, the action and the role that took it; neither "
        "people's names nor their comments are published."
    ),
    "log_manager_note": gettext_noop(
        "Manager edition: the log names people and gives their comments; it must not be circulated."
    ),
}
LOG_LABELS: Final = Wording(LOG_TEXTS)

# Header, rows, planned relative widths, and the column that takes the room left.
Rows = tuple[list[str], list[list[str]], list[float], int]


def public_log(entries: Sequence[VerificationEntry], lang: str, t: Callable[[str], str]) -> Rows:
    """Return the header, rows and relative widths of the published log: roles, no names."""
    words = LOG_LABELS[lang]
    rows = [
        [
            format_cell_date(e.on, lang),
            f"{e.metric} · {e.cohort} · {e.period}",
            t(f"action_{e.action}"),
            words[f"log_role_{ACTION_ROLES[e.action]}"],
        ]
        for e in entries
    ]
    header = [t("date"), t("result"), t("action"), words["log_role"]]
    return header, rows, [0.16, 0.40, 0.22, 0.22], 1


def manager_log(entries: Sequence[VerificationEntry], lang: str, t: Callable[[str], str]) -> Rows:
    """Return the header, rows and relative widths of the full log: who, and why."""
    rows = [
        [
            format_cell_date(e.on, lang),
            f"{e.metric} · {e.cohort} · {e.period}",
            t(f"action_{e.action}"),
            e.actor,
            e.note,
        ]
        for e in entries
    ]
    header = [t(key) for key in ("date", "result", "action", "actor", "note")]
    return header, rows, [0.14, 0.23, 0.14, 0.22, 0.27], 4
