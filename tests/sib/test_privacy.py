"""The privacy policy (sib.privacy, docs/reports.md "Privacy of what is shown"), per audience."""

import pytest

from sib.models import Role
from sib.privacy import (
    Audience,
    edition_audience,
    guarantee_call_for_investor,
    investor_totals_shown,
    sees_exact_counts,
    sees_user_text,
)

# The parties who work on results: they see them exactly, with who did what and why.
RESULT_PARTIES = [Audience(role) for role in Role.values if role != Role.INVESTOR]


@pytest.mark.parametrize("audience", RESULT_PARTIES)
def test_contract_parties_working_on_results_see_exact_counts_and_user_text(audience):
    assert sees_exact_counts(audience)
    assert sees_user_text(audience)


@pytest.mark.parametrize("audience", [Audience.PUBLISHED, Audience.INVESTOR])
def test_published_outputs_and_investors_get_masked_counts_and_no_user_text(audience):
    # Investors have no right to results: they read outcomes only as published.
    assert not sees_exact_counts(audience)
    assert not sees_user_text(audience)


def test_only_the_manager_edition_is_written_for_a_contract_party():
    assert edition_audience("manager") is Audience.FUND_MANAGER
    assert edition_audience("public") is Audience.PUBLISHED


CALL = {
    "amount": 300,
    "on": "2030-12-31",
    "paid_by": [["guarantor", 300]],
    "paid_to": [["bank", 200], ["foundation", 100]],
    "protects": "senior",
    "shortfall": 300,
    "tranche": "guarantee",
}


@pytest.mark.parametrize(
    ("investor", "received", "paid"),
    [("bank", 200, 0), ("foundation", 100, 0), ("guarantor", 0, 300)],
)
def test_an_investor_sees_only_its_own_side_of_a_guarantee_call(investor, received, paid):
    mine = guarantee_call_for_investor(CALL, investor)
    assert mine == {
        "on": "2030-12-31",
        "tranche": "guarantee",
        "protects": "senior",
        "received": received,
        "paid": paid,
    }


def test_an_investor_with_no_part_in_a_call_does_not_see_it():
    assert guarantee_call_for_investor(CALL, "fund") is None


# --- investor totals (sib.privacy.investor_totals_shown) -------------------------------

NOT_SEEING_INVESTORS = [Audience.PUBLIC_FUNDER, Audience.INVESTOR, Audience.PUBLISHED]


@pytest.mark.parametrize("audience", NOT_SEEING_INVESTORS)
@pytest.mark.parametrize(("investors", "shown"), [(0, True), (1, False), (2, False), (3, True)])
def test_a_total_of_fewer_than_3_investors_is_held_back_from_who_does_not_see_them(
    audience, investors, shown
):
    # One investor: the total is its figure; two: either one subtracts its own.
    assert investor_totals_shown(audience, investors) is shown


@pytest.mark.parametrize("audience", NOT_SEEING_INVESTORS)
def test_a_breakdown_is_shown_whole_or_not_at_all(audience):
    # A part held back would be the shown total less the parts shown.
    assert investor_totals_shown(audience, 3, 4, 5)
    assert not investor_totals_shown(audience, 3, 4, 1)
    assert investor_totals_shown(audience, 3, 0)


def test_the_fund_manager_sees_every_total():
    assert investor_totals_shown(Audience.FUND_MANAGER, 1, 2)
