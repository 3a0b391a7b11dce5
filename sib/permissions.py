"""Who may do what on a programme: the one table of role rights (DOMAIN.md, "Users").

Every view, API and command asks `sib.scoping`, which reads this table. A right on
programme A gives nothing on programme B.
"""

from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from sib.models import Role


class Action(StrEnum):
    PROGRAMME_VIEW = "programme.view"
    PROGRAMME_MANAGE = "programme.manage"  # parties, payers, status, tranches, metrics, waterfall
    MEMBERSHIP_MANAGE = "membership.manage"  # see every membership of the programme
    MEMBERSHIP_GRANT = "membership.grant"  # grant or revoke the roles one manages (GRANTED_BY)
    PARTY_APPOINT = "party.appoint"  # staff only: organisations are appointed, not taken
    COMMITMENT_VIEW_ALL = "commitment.view_all"  # every investor's position
    COMMITMENT_VIEW_OWN = "commitment.view_own"  # an investor's own commitments and statements
    INVESTOR_AGGREGATE_VIEW = "investor.aggregate_view"  # totals without names
    DRAWDOWN_RECORD = "drawdown.record"
    PAYMENT_RECORD = "payment.record"  # outcome payments received, distributions
    LEDGER_VIEW = "ledger.view"
    LEDGER_VERIFY = "ledger.verify"  # recompute the hash chain
    # The verification bundle: the chain and every record it covers, investors' money
    # movements included, so not for evaluators (DOMAIN.md: they never see investor
    # positions) nor investors (nothing about other investors).
    BUNDLE_DOWNLOAD = "bundle.download"
    SCHEDULE_RUN = "schedule.run"  # schedules and scenarios
    OUTCOME_VIEW = "outcome.view"  # verified aggregate outcomes
    RESULT_VIEW = "result.view"  # submissions in every state
    RESULT_SUBMIT = "result.submit"
    RESULT_VERIFY = "result.verify"  # never one's own submission: enforced in the database
    RESULT_AMEND = "result.amend"
    RESULT_ACCEPT = "result.accept"  # accept or dispute a verified result
    PARTICIPANT_VIEW = "participant.view"  # pseudonymised participant rows
    PAYMENT_VIEW = "payment.view"  # outcome payments due and paid
    REPORT_REQUEST_PUBLIC = "report.request_public"
    REPORT_REQUEST_MANAGER = "report.request_manager"
    REPORT_DOWNLOAD_PUBLIC = "report.download_public"
    REPORT_DOWNLOAD_MANAGER = "report.download_manager"
    REPORT_PUBLISH = "report.publish"
    PAYMENT_NOTICE_ANY = "payment_notice.any"  # every payer's outcome payment notice
    PAYMENT_NOTICE_OWN = "payment_notice.own"  # the notice of the payer one's membership names


A = Action
ROLE_RIGHTS: dict[str, frozenset[Action]] = {
    Role.FUND_MANAGER: frozenset(
        {
            A.PROGRAMME_VIEW,
            A.PROGRAMME_MANAGE,
            A.MEMBERSHIP_MANAGE,
            A.MEMBERSHIP_GRANT,
            A.COMMITMENT_VIEW_ALL,
            A.INVESTOR_AGGREGATE_VIEW,
            A.DRAWDOWN_RECORD,
            A.PAYMENT_RECORD,
            A.LEDGER_VIEW,
            A.LEDGER_VERIFY,
            A.BUNDLE_DOWNLOAD,
            A.SCHEDULE_RUN,
            A.OUTCOME_VIEW,
            A.RESULT_VIEW,
            A.PAYMENT_VIEW,
            A.REPORT_REQUEST_PUBLIC,
            A.REPORT_REQUEST_MANAGER,
            A.REPORT_DOWNLOAD_PUBLIC,
            A.REPORT_DOWNLOAD_MANAGER,
            A.REPORT_PUBLISH,
            A.PAYMENT_NOTICE_ANY,
        }
    ),
    Role.EVALUATOR: frozenset(
        {
            A.PROGRAMME_VIEW,
            A.OUTCOME_VIEW,
            A.RESULT_VIEW,
            A.RESULT_SUBMIT,
            A.PARTICIPANT_VIEW,
            A.LEDGER_VERIFY,
            A.REPORT_DOWNLOAD_PUBLIC,
        }
    ),
    Role.LEAD_EVALUATOR: frozenset(
        {
            A.PROGRAMME_VIEW,
            A.OUTCOME_VIEW,
            A.RESULT_VIEW,
            A.RESULT_SUBMIT,
            A.RESULT_VERIFY,
            A.RESULT_AMEND,
            A.MEMBERSHIP_GRANT,
            A.PARTICIPANT_VIEW,
            A.LEDGER_VERIFY,
            A.REPORT_DOWNLOAD_PUBLIC,
        }
    ),
    Role.PUBLIC_FUNDER: frozenset(
        {
            A.PROGRAMME_VIEW,
            A.OUTCOME_VIEW,
            A.RESULT_ACCEPT,
            A.MEMBERSHIP_GRANT,
            A.PAYMENT_VIEW,
            A.INVESTOR_AGGREGATE_VIEW,
            A.LEDGER_VERIFY,
            A.BUNDLE_DOWNLOAD,
            A.REPORT_REQUEST_PUBLIC,
            A.REPORT_DOWNLOAD_PUBLIC,
            A.PAYMENT_NOTICE_OWN,
        }
    ),
    Role.INVESTOR: frozenset({A.PROGRAMME_VIEW, A.COMMITMENT_VIEW_OWN}),
}


# Contract variations (payments.variations): the fund manager records them alone, and
# whoever sees the payments due reads them, as they change what each payer owes. The
# API list and the portal page ask for these two, nothing else.
VARIATION_VIEW: Action = A.PAYMENT_VIEW
VARIATION_RECORD: Action = A.PROGRAMME_MANAGE


# What a staff administrator may do on any programme, without a role on it: see it,
# appoint its organisations, grant and revoke roles. Never verify results or move money.
STAFF_RIGHTS: frozenset[Action] = frozenset(
    {A.PROGRAMME_VIEW, A.PARTY_APPOINT, A.MEMBERSHIP_MANAGE, A.MEMBERSHIP_GRANT}
)

# Each organisation manages its own people (DOMAIN.md): the roles that may grant (and
# revoke) each role, besides staff. A fund manager manages the intermediary's people and
# the investors' people; the evaluator's lead evaluators theirs; a payer's funders theirs.
GRANTED_BY: dict[str, frozenset[str]] = {
    Role.FUND_MANAGER: frozenset({Role.FUND_MANAGER}),
    Role.INVESTOR: frozenset({Role.FUND_MANAGER}),
    Role.EVALUATOR: frozenset({Role.LEAD_EVALUATOR}),
    Role.LEAD_EVALUATOR: frozenset({Role.LEAD_EVALUATOR}),
    Role.PUBLIC_FUNDER: frozenset({Role.PUBLIC_FUNDER}),
}
# Roles granted by a member of the same organisation: the grantor's own organisation goes
# with the role (a lead evaluator adds evaluators of their evaluator, a funder of their payer).
SAME_ORGANISATION_AS_GRANTOR = frozenset({Role.EVALUATOR, Role.LEAD_EVALUATOR, Role.PUBLIC_FUNDER})
# The people a grant may reach: those already holding one of these roles (and, for roles
# bound to an organisation, for the same organisation) on a programme the grantor manages.
ROLE_FAMILY: dict[str, frozenset[str]] = {
    Role.FUND_MANAGER: frozenset({Role.FUND_MANAGER}),
    Role.INVESTOR: frozenset({Role.INVESTOR}),
    Role.EVALUATOR: frozenset({Role.EVALUATOR, Role.LEAD_EVALUATOR}),
    Role.LEAD_EVALUATOR: frozenset({Role.EVALUATOR, Role.LEAD_EVALUATOR}),
    Role.PUBLIC_FUNDER: frozenset({Role.PUBLIC_FUNDER}),
}

# Separation of duties: pairs of roles one user never holds together on one programme.
# PostgreSQL refuses them too (trigger sib_membership_separation_of_duties, sib migration
# 0006); keep both in step.
_CHECKERS = (Role.EVALUATOR, Role.LEAD_EVALUATOR, Role.PUBLIC_FUNDER)
INCOMPATIBLE_ROLES: frozenset[frozenset[str]] = frozenset(
    {frozenset({Role.FUND_MANAGER, other}) for other in _CHECKERS}
    | {frozenset({evaluator, Role.PUBLIC_FUNDER}) for evaluator in _CHECKERS[:2]}
)


# The roles as they read inside a sentence ("X is already evaluator"), translated.
ROLE_TEXTS: dict[str, Promise] = {
    Role.FUND_MANAGER: pgettext_lazy("role in a sentence", "fund manager"),
    Role.EVALUATOR: pgettext_lazy("role in a sentence", "evaluator"),
    Role.LEAD_EVALUATOR: pgettext_lazy("role in a sentence", "lead evaluator"),
    Role.PUBLIC_FUNDER: pgettext_lazy("role in a sentence", "public funder"),
    Role.INVESTOR: pgettext_lazy("role in a sentence", "investor"),
}


def role_allows(role: str, action: Action) -> bool:
    return action in ROLE_RIGHTS.get(role, frozenset())


def roles_conflicting(role: str, held: frozenset[str]) -> list[str]:
    """Return the held roles that `role` may not be held together with."""
    return sorted(other for other in held if frozenset({role, other}) in INCOMPATIBLE_ROLES)


def role_granted_by(role: str, grantor_roles: frozenset[str]) -> bool:
    """Return whether someone holding `grantor_roles` on a programme may grant `role` there."""
    return bool(GRANTED_BY.get(role, frozenset()) & grantor_roles)
