"""Who may do what on a programme: the one table of role rights (DOMAIN.md, "Users").

Every view, API and command asks `sib.scoping`, which reads this table. A right on
programme A gives nothing on programme B.
"""

from enum import StrEnum

from sib.models import Role


class Action(StrEnum):
    PROGRAMME_VIEW = "programme.view"
    PROGRAMME_MANAGE = "programme.manage"  # parties, payers, status, tranches, metrics, waterfall
    MEMBERSHIP_MANAGE = "membership.manage"
    COMMITMENT_VIEW_ALL = "commitment.view_all"  # every investor's position
    COMMITMENT_VIEW_OWN = "commitment.view_own"  # an investor's own commitments and statements
    INVESTOR_AGGREGATE_VIEW = "investor.aggregate_view"  # totals without names
    DRAWDOWN_RECORD = "drawdown.record"
    PAYMENT_RECORD = "payment.record"  # outcome payments received, distributions
    LEDGER_VIEW = "ledger.view"
    LEDGER_VERIFY = "ledger.verify"  # recompute the hash chain
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
            A.COMMITMENT_VIEW_ALL,
            A.INVESTOR_AGGREGATE_VIEW,
            A.DRAWDOWN_RECORD,
            A.PAYMENT_RECORD,
            A.LEDGER_VIEW,
            A.LEDGER_VERIFY,
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
            A.PAYMENT_VIEW,
            A.INVESTOR_AGGREGATE_VIEW,
            A.LEDGER_VERIFY,
            A.REPORT_REQUEST_PUBLIC,
            A.REPORT_DOWNLOAD_PUBLIC,
            A.PAYMENT_NOTICE_OWN,
        }
    ),
    Role.INVESTOR: frozenset({A.PROGRAMME_VIEW, A.COMMITMENT_VIEW_OWN}),
}


def role_allows(role: str, action: Action) -> bool:
    return action in ROLE_RIGHTS.get(role, frozenset())
