"""The sections of a programme, and which right opens each one.

The programme home lists the sections the user's roles allow (sib.permissions), nothing
else. A section whose pages are not built yet has no URL name: the home lists it apart,
under "not available yet", instead of a link that leads nowhere. The apps built on the
bond cannot be named here (imports flow one way: sib <- outcomes <- payments <- reports),
so each registers its own pages from its AppConfig.ready() with `section_page_register`
(a URL name taking `programme_id`); the stranger test in tests/portal/test_scoping.py then
requires each to answer 404 to a stranger.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sib.permissions import VARIATION_VIEW, Action
from sib.scoping import ProgrammeAccess


@dataclass(frozen=True)
class Section:
    key: str
    group: Promise
    title: Promise
    description: Promise
    action: Action
    url_name: str | None = None
    # Not listed to whoever holds this right: another section already shows it to them.
    covered_by: Action | None = None


@dataclass(frozen=True)
class SectionLink:
    key: str
    title: str
    description: str
    url: str | None  # None: not available yet


@dataclass(frozen=True)
class SectionGroup:
    title: str
    links: list[SectionLink]


@dataclass(frozen=True)
class ProgrammeSections:
    groups: list[SectionGroup]  # sections the user can open now
    coming: list[SectionLink]  # sections the user's roles will open, not built yet


MONEY = _("Money")
OUTCOMES = _("Outcomes")
REPORTS = _("Reports")
PROGRAMME = _("Programme")

SECTIONS: tuple[Section, ...] = (
    # Fund manager
    Section(
        "dashboard",
        MONEY,
        _("Dashboard"),
        _(
            "Capital committed and drawn, outcome payments due and received against the cap, "
            "distributions to date, next scheduled repayments."
        ),
        Action.COMMITMENT_VIEW_ALL,
    ),
    Section(
        "schedule",
        MONEY,
        _("Repayment schedule"),
        _("The schedule per investor, as a table and a chart."),
        Action.SCHEDULE_RUN,
    ),
    Section(
        "scenarios",
        MONEY,
        _("Scenarios"),
        _("Projections side by side, from 0 % to 125 % of the targets, or a chosen rate."),
        Action.SCHEDULE_RUN,
    ),
    Section(
        "investors",
        MONEY,
        _("Investors and tranches"),
        _("Every investor's commitment, drawn capital and tranche."),
        Action.COMMITMENT_VIEW_ALL,
    ),
    Section(
        "drawdown",
        MONEY,
        _("Record a drawdown"),
        _("Record capital drawn from the investors."),
        Action.DRAWDOWN_RECORD,
    ),
    Section(
        "payment",
        MONEY,
        _("Record a payment received"),
        _("Record an outcome payment received from a payer and distribute it."),
        Action.PAYMENT_RECORD,
    ),
    Section(
        "distributions",
        MONEY,
        _("Distributions"),
        _("What the schedule proposes to distribute, what was paid, and the difference."),
        Action.PAYMENT_RECORD,
    ),
    Section(
        "guarantees",
        MONEY,
        _("Guarantees"),
        _("Guarantee calls and what the guarantors paid."),
        Action.PAYMENT_RECORD,
    ),
    Section(
        "movements",
        MONEY,
        _("Money movements"),
        _("Drawdowns, payments, distributions and guarantees recorded; reverse one in error."),
        Action.PAYMENT_RECORD,
    ),
    # Public funder
    Section(
        "payments-due",
        MONEY,
        _("Payments owed and paid"),
        _("Outcome payments due from your organisation, and those already paid."),
        Action.PAYMENT_VIEW,
        covered_by=Action.COMMITMENT_VIEW_ALL,
    ),
    Section(
        "returns",
        MONEY,
        _("Investor returns"),
        _("Returns to investors, in aggregate (no individual positions)."),
        Action.INVESTOR_AGGREGATE_VIEW,
        covered_by=Action.COMMITMENT_VIEW_ALL,
    ),
    # Investor
    Section(
        "my-commitments",
        MONEY,
        _("My commitments and distributions"),
        _("Your organisation's commitments, drawdowns, distributions and statements."),
        Action.COMMITMENT_VIEW_OWN,
    ),
    # Outcomes
    Section(
        "outcomes",
        OUTCOMES,
        _("Outcomes achieved"),
        _("Verified outcomes against the targets, per metric."),
        Action.OUTCOME_VIEW,
    ),
    Section(
        "submit",
        OUTCOMES,
        _("Submit a result"),
        _("Enter a result for a metric, cohort and period, and attach evidence."),
        Action.RESULT_SUBMIT,
    ),
    Section(
        "import",
        OUTCOMES,
        _("Import participant records"),
        _("Upload a CSV file of participant records; bad rows are listed by line and column."),
        Action.RESULT_SUBMIT,
    ),
    Section(
        "submissions",
        OUTCOMES,
        _("Submissions"),
        _("Results submitted, and the state of each one."),
        Action.RESULT_VIEW,
    ),
    Section(
        "verification",
        OUTCOMES,
        _("Verification queue"),
        _("Results submitted by other evaluators, to verify, reject or amend."),
        Action.RESULT_VERIFY,
    ),
    Section(
        "acceptance",
        OUTCOMES,
        _("Accept or dispute results"),
        _("Verified results awaiting your decision: accept one, or dispute it with a reason."),
        Action.RESULT_ACCEPT,
    ),
    Section(
        "disputes",
        OUTCOMES,
        _("Open disputes"),
        _("Verified results a funder disputes, the payer whose share is held, and why."),
        Action.RESULT_VIEW,
    ),
    # Reports
    Section(
        "reports-manager",
        REPORTS,
        _("Reports"),
        _("Request the manager and public reports and follow their progress."),
        Action.REPORT_REQUEST_MANAGER,
    ),
    Section(
        "reports-public",
        REPORTS,
        _("Public reports"),
        _("Download the public evaluation reports, and request a new one if your role allows."),
        Action.REPORT_DOWNLOAD_PUBLIC,
        covered_by=Action.REPORT_REQUEST_MANAGER,
    ),
    # The programme itself
    Section(
        "members",
        PROGRAMME,
        _("Members"),
        _("Who has a role on this programme."),
        Action.MEMBERSHIP_MANAGE,
        "portal:programme-members",
    ),
    Section(
        "member-invite",
        PROGRAMME,
        _("Invite someone"),
        _("Give a newcomer an account and a role you may grant; they choose their password."),
        Action.MEMBERSHIP_GRANT,
        "portal:member-invite",
    ),
    Section(
        "variations",
        PROGRAMME,
        _("Contract variations"),
        _("The changes to the terms agreed since the start, each from its date."),
        # Read by whoever sees the payments due; the form on it is the fund manager's.
        VARIATION_VIEW,
    ),
    Section(
        "ledger-verify",
        PROGRAMME,
        _("Check the ledger chain"),
        _("Recompute the hash chain of verified results and money movements."),
        Action.LEDGER_VERIFY,
        "portal:ledger-verify",
    ),
)


# Section key -> URL name, filled by the apps' AppConfig.ready().
_PAGES: dict[str, str] = {}


def section_page_register(key: str, url_name: str) -> None:
    """Link the section `key` to the page `url_name` (a URL name taking `programme_id`)."""
    if key not in {section.key for section in SECTIONS}:
        raise ValueError(f"No portal section {key!r} in sib.portal.sections.SECTIONS.")
    _PAGES[key] = url_name


def _url_name(section: Section) -> str | None:
    return section.url_name or _PAGES.get(section.key)


def _shown(section: Section, access: ProgrammeAccess) -> bool:
    if not access.allows(section.action):
        return False
    return section.covered_by is None or not access.allows(section.covered_by)


def sections_for(access: ProgrammeAccess) -> ProgrammeSections:
    """Return the sections the user's roles on this programme open, grouped, in order."""
    groups: dict[str, list[SectionLink]] = {}
    coming: list[SectionLink] = []
    for section in SECTIONS:
        if not _shown(section, access):
            continue
        title, description = str(section.title), str(section.description)
        url_name = _url_name(section)
        if url_name is None:
            coming.append(SectionLink(section.key, title, description, None))
            continue
        url = reverse(url_name, kwargs={"programme_id": access.programme.pk})
        groups.setdefault(str(section.group), []).append(
            SectionLink(section.key, title, description, url)
        )
    return ProgrammeSections([SectionGroup(t, links) for t, links in groups.items()], coming)
