"""How outcomes' services refuse a result's amendment, decision, review or evidence.

One function per rule: its stable code and its message (translated where shown). The
services check these rules first, with clear context and the right status. The triggers
of outcomes/migrations/0009 keep the decision and review rules too, raising with
`CONSTRAINT = '<rule>'` (psycopg's `diag.constraint_name`): `refusal_conflict` maps
that name, not the error's text, for the race the services' checks cannot see (two
requests at once) or a path that skipped them.
"""

from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _

from sib.db.refusals import UNIQUE_VIOLATION, database_rule
from sib.exceptions import Conflict, Refused

_FOUR_EYES = _("Four eyes: you cannot verify or reject your own submission.")
_LEAD_EVALUATOR = _("Only a lead evaluator of the programme may verify results.")

_RULES = {
    "outcomes_four_eyes": _FOUR_EYES,
    "outcomes_decided_by_lead_evaluator": _LEAD_EVALUATOR,
    "outcomes_superseded_once": _("The amended result is already superseded by another amendment."),
    "outcomes_one_pending_amendment": _(
        "This result already has an amendment awaiting its decision."
    ),
    "outcomes_review_of_verified": _("Only a verified result can be accepted or disputed."),
    "outcomes_reviewed_by_public_funder": _(
        "Only a public funder of the programme may accept or dispute a result."
    ),
    "outcomes_review_payer_is_funders": _(
        "A review records the payer its funder is bound to; this one names another."
    ),
}


def four_eyes() -> Refused:
    return Refused(_FOUR_EYES, code="four_eyes")


def decided_by_lead_evaluator() -> Refused:
    return Refused(_LEAD_EVALUATOR, code="decided_by_lead_evaluator")


def already_decided() -> Conflict:
    return Conflict(_("This result has already been verified or rejected."), code="already_decided")


def already_reviewed() -> Conflict:
    return Conflict(_("You have already reviewed this result."), code="already_reviewed")


def amend_needs_verified(state: str) -> Conflict:
    return Conflict(
        _("Only a verified result can be amended; this one is %(state)s."),
        code="amend_needs_verified",
        params={"state": state},
    )


def amendment_pending(*, result_id: int, pending_id: int) -> Conflict:
    # Two pending corrections of one figure would leave the lead to pick one and the
    # funder to read both: one at a time, decided before the next (issue 11/12).
    return Conflict(
        _(
            "Result %(result)s already has an amendment awaiting its decision (result "
            "%(pending)s): a lead evaluator verifies or rejects it before another is proposed."
        ),
        code="amendment_pending",
        params={"result": result_id, "pending": pending_id},
        extra={"pending_amendment": pending_id},
    )


def review_needs_verified(state: str) -> Conflict:
    return Conflict(
        _("Only a verified result can be accepted or disputed; this one is %(state)s."),
        code="review_needs_verified",
        params={"state": state},
    )


def evidence_by_submitter() -> Refused:
    return Refused(
        _("Only the evaluator who submitted a result attaches its evidence."),
        code="evidence_by_submitter",
    )


def evidence_needs_submitted(state: str) -> Conflict:
    return Conflict(
        _("Evidence goes with a result awaiting its decision; this one is %(state)s."),
        code="evidence_needs_submitted",
        params={"state": state},
    )


def evidence_already_attached() -> Conflict:
    return Conflict(
        _("This document is already attached to the result."), code="evidence_already_attached"
    )


def refusal_conflict(exc: IntegrityError, *, unique: Conflict) -> Conflict:
    """The Conflict a refused decision or review answers: `unique` when it was a duplicate."""
    name, sqlstate = database_rule(exc)
    if sqlstate == UNIQUE_VIOLATION:
        return unique
    message = _RULES.get(name)
    if message is None:
        # A rule this module does not know yet: say which one, never the raw text.
        return Conflict(
            _("The database refused this change (rule %(rule)s)."),
            code="database_rule",
            params={"rule": name or sqlstate or "?"},
        )
    return Conflict(message, code=name.removeprefix("outcomes_"))


def evidence_missing(what: str) -> Conflict:
    # The metric's terms say what backs a result; verifying on nothing would pay on trust.
    return Conflict(
        _(
            "This metric asks for evidence (%(what)s) and none is attached: its "
            "evaluator attaches it first, or the result is rejected."
        ),
        code="evidence_required",
        params={"what": what},
    )
