"""An active programme's rate card changes only by a variation (issue 12 audit: open).

A fund manager may not vary the contract unseen: prices change by a chained variation,
which the payers' funders list (`GET …/variations/`). But the metrics API still takes a
new priced metric on an active programme from a fund manager alone: evaluators then
submit and verify against it, and the payer owes what the fund manager priced. The test
says the rule that should hold and is a strict xfail until it does (docs/security.md).
Closing it means moving every set-up that adds metrics after activation (most test
fixtures do) before it, or a variation kind "metric added".
"""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.xfail(strict=True, reason="open: metrics are added to active programmes")
def test_a_fund_manager_cannot_add_a_priced_metric_to_an_active_programme(cast):
    assert cast.programme.status == "active"
    response = cast.client(cast.manager).post(
        f"/api/programmes/{cast.programme.pk}/metrics/create/",
        {
            "code": "one-day-in-work",
            "name": "One day in work",
            "definition": "In work for one day after the programme.",
            "unit": "participant_outcome",
            "mechanism": {"kind": "rate_card", "price": 5_000_000},
            "cohorts": ["c1"],
            "periods": ["2026-h1"],
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "active" in response.content.decode()  # refused for the programme's status
