"""What each audience may see of a programme: the one privacy policy, in code.

docs/reports.md ("Privacy of what is shown") states the policy; every selector or
serializer that decides what a funder, an investor or the public sees asks this module,
so the rule lives in one place:

- **Contract parties** (a role on the programme, signed in) see exact participant counts,
  within their role's rights (sib.permissions); investors, who have no right to results,
  read outcomes only as published.
- **Published outputs** (the public edition of the report, which may be published and then
  read by anyone, and the portal pages that preview it) mask counts from 1 to
  ``REPORT_MASK_THRESHOLD`` (reports.rendering.masking), print no text typed by a user
  (comments, reasons, notes, descriptions) and no user name: a step of the verification
  log is told by its date, its action and the *role* that takes it.
- **An investor** sees its own figures and nothing about another investor: no name, no
  amount, no share, and no total from which another investor's figure can be derived.
- **Investor totals** (committed, drawn, repaid, returns, guarantee money, distributions,
  per tranche or for the programme) reach a reader who does not see investors by name (a
  public funder, an investor, anything published) only when each total sums at least
  ``MIN_INVESTORS`` investors, and a breakdown only when every part of it does
  (``investor_totals_shown``).

Texts of the programme definition (programme, cohort, period and metric names, metric
definitions, the target population, tranche names, party names) are terms of the
contract, written by the fund manager for every party; they are printed as they are.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import Any

from sib.models import Role
from sib.permissions import Action
from sib.scoping import ProgrammeAccess


class Audience(StrEnum):
    """Who reads an answer: a role on the programme, or the public (published outputs)."""

    FUND_MANAGER = Role.FUND_MANAGER.value
    EVALUATOR = Role.EVALUATOR.value
    LEAD_EVALUATOR = Role.LEAD_EVALUATOR.value
    PUBLIC_FUNDER = Role.PUBLIC_FUNDER.value
    INVESTOR = Role.INVESTOR.value
    PUBLISHED = "published"


# Investors have no right to results (sib.permissions): they read outcomes only in the
# published edition, so they are held to what is published.
_HELD_TO_PUBLISHED = frozenset({Audience.PUBLISHED, Audience.INVESTOR})


def sees_exact_counts(audience: Audience) -> bool:
    """Return whether `audience` sees participant counts unmasked (contract parties do)."""
    return audience not in _HELD_TO_PUBLISHED


def sees_user_text(audience: Audience) -> bool:
    """Return whether `audience` may read text typed by users, and user names.

    Published outputs never carry them: a comment may name a person ("Jean Dupont a
    appelé") or give a masked count back ("Ces 4 personnes…").
    """
    return audience not in _HELD_TO_PUBLISHED


# The fewest investors a total may sum before a reader who does not see investors by name
# is shown it: with one, the total is that investor's figure; with two, either of them
# subtracts its own and reads the other's (an investor reads the published edition, and a
# payer's organisation may also invest). With three, one learns only the sum of the other
# two: the threshold rule of statistical secrecy (INSEE's "règle des trois").
MIN_INVESTORS = 3


def investor_totals_shown(audience: Audience, *investors: int) -> bool:
    """Return whether `audience` may read sums of investors' money, one sum per group.

    Each argument is the number of distinct investors one shown sum adds up (a tranche, or
    the programme's lenders). Fund managers see every investor by name, so every sum.
    Anyone else sees them only when every group is empty or has at least
    ``MIN_INVESTORS`` investors: a breakdown is shown whole or not at all, since a part
    held back would be the shown total less the parts shown.
    """
    if audience == Audience.FUND_MANAGER:
        return True
    return all(count == 0 or count >= MIN_INVESTORS for count in investors)


def reader_audience(access: ProgrammeAccess) -> Audience:
    """Return who reads investor figures through `access` (a user may hold several roles)."""
    if access.allows(Action.COMMITMENT_VIEW_ALL):
        return Audience.FUND_MANAGER
    if access.allows(Action.INVESTOR_AGGREGATE_VIEW):
        return Audience.PUBLIC_FUNDER
    if access.allows(Action.COMMITMENT_VIEW_OWN):
        return Audience.INVESTOR
    return Audience.PUBLISHED


def edition_audience(edition: str) -> Audience:
    """Return who an edition of the report is written for."""
    # The manager edition goes to fund managers only; the public one may be published, so
    # it is written for anyone (its readers include investors and the public).
    return Audience.FUND_MANAGER if edition == "manager" else Audience.PUBLISHED


def guarantee_call_for_investor(call: dict[str, Any], investor: str) -> dict[str, Any] | None:
    """Return an investor's own side of a guarantee call, or None when it has no part in it.

    A call pays a tranche's investors from its guarantors; the call's total, the shortfall
    and the other parties' lines are other investors' figures (with two investors on a
    tranche, total less one's own is the other's), so only the investor's own amount stays.
    """
    received = sum(amount for who, amount in call.get("paid_to", ()) if who == investor)
    paid = sum(amount for who, amount in call.get("paid_by", ()) if who == investor)
    mine_to = any(who == investor for who, _ in call.get("paid_to", ()))
    mine_by = any(who == investor for who, _ in call.get("paid_by", ()))
    if not (mine_to or mine_by):
        return None
    return {
        "on": call["on"],
        "tranche": call["tranche"],
        "protects": call["protects"],
        "received": received,
        "paid": paid,
    }


def log_for(audience: Audience, entries: tuple[Any, ...]) -> tuple[Any, ...]:
    """Return verification-log entries as `audience` may read them.

    For published outputs the person (``actor``) and the comment or reason (``note``)
    are dropped before anything is rendered: the log keeps dates, actions and results,
    and the public renderer prints the role that takes each action
    (reports.rendering.log).
    """
    if sees_user_text(audience):
        return entries
    return tuple(dataclasses.replace(e, actor="", note="") for e in entries)
