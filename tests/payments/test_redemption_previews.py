"""The termination and variation pages show what each payer would owe in total, its
principal redemption included on its own line, the figures the ledger then books
(issue 11; docs/ledger.md "Principal redemptions").

The deal is tests/payments/test_redemption_end_to_end.py's, still active: the junior
loan drew 130 000 €, the waterfall repaid 39 000 € of it, the Département tops up.
- terminated on 31 December 2030, its maturity, at a 62 % rate: 91 000 € redeemed;
- redeemed early on 30 June 2029 (year 4, 75 %): 97 500 € - 39 000 € = 58 500 €.
"""

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from payments.dues_preview import DuesPreview, termination_dues_preview
from payments.position import programme_position
from payments.variation_preview import variation_preview
from payments.variations import programme_vary
from sib.models import Programme, User
from sib.services import programme_terminate
from tests.payments.test_redemption_end_to_end import (
    SLUG,
    load,
    protected_deal,
    redeemed_early_deal,
)
from tests.payments.test_redemption_end_to_end import manager as manager  # a fixture

pytestmark = pytest.mark.django_db

EARLY = {
    "kind": "early_redemption",
    "effective_date": date(2029, 6, 30),
    "reason": "Investors redeemed at the year-4 review",
    "parameters": {},
}


def active(tmp_path: Path, document: dict[str, Any]) -> Programme:
    document["programme"]["status"] = "active"
    document.pop("variations", None)
    load(tmp_path, document)
    return Programme.objects.get(slug=SLUG)


def the_ledger_then_shows(programme: Programme, preview: DuesPreview) -> None:
    """Each payer's due and redemption, once booked, are the preview's."""
    position = programme_position(programme=programme)
    assert [(p.payer, p.due, p.redemption) for p in position.payers] == [
        (row.payer.payer, row.after, row.redemption_after) for row in preview.rows
    ]


def departement(preview: DuesPreview) -> Any:
    return next(row for row in preview.rows if row.payer.payer == "departement-13")


def test_a_termination_at_maturity_previews_the_redemption_it_makes_due(manager, tmp_path):
    programme = active(tmp_path, protected_deal("62"))
    assert programme_position(programme=programme).payer("departement-13").redemption == 0
    preview = termination_dues_preview(programme=programme, on=date(2030, 12, 31))
    row = departement(preview)
    assert (row.payer.redemption, row.redemption_change, row.redemption_after) == (
        0,
        9_100_000,
        9_100_000,
    )
    assert row.after == row.payer.due + row.change
    assert row.change >= 9_100_000 - row.payer.due  # the redemption is in the total
    programme_terminate(
        programme=programme, termination_date=date(2030, 12, 31), reason="payer's break option"
    )
    the_ledger_then_shows(programme, preview)


def test_an_early_redemption_variation_previews_the_payers_redemption(manager, tmp_path):
    programme = active(tmp_path, redeemed_early_deal())
    preview = variation_preview(programme=programme, **EARLY)
    row = departement(preview)
    assert (row.redemption_change, row.redemption_after) == (5_850_000, 5_850_000)
    assert preview.has_redemption
    programme_vary(programme=programme, **EARLY)
    the_ledger_then_shows(programme, preview)


def test_the_termination_page_shows_the_redemption_on_its_own_line(manager, tmp_path):
    programme = active(tmp_path, protected_deal("62"))
    client = Client()
    client.force_login(User.objects.get(username="root"))
    url = reverse("payments_portal:programme-termination", args=[programme.pk])
    page = client.post(url, {"termination_date": "2030-12-31", "reason": "break option"})
    html = page.content.decode()
    assert 'data-redemption-of="departement-13" data-redemption-after="9100000"' in html
    assert "Dont remboursement du capital" in html  # root reads the portal in French
    after = departement(termination_dues_preview(programme=programme, on=date(2030, 12, 31)))
    assert f'data-payer="departement-13" data-due-after="{after.after}"' in html
