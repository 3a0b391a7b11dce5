""" "Share of cap used" is what the verified outcome payments make payers owe (the position's
due) divided by the contract cap: the cap limits what the contract makes payers owe, not
what they have paid yet. The dashboard and both editions of the report print one figure."""

from fractions import Fraction

import pytest
from django.test import Client
from django.urls import reverse

from payments.position import programme_position
from reports.rendering.formatting import format_decimal
from reports.services import report_render
from tests.reports.conftest import Bond
from tests.reports.support import pdf_lines, value_after

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_dashboard_and_both_editions_print_dues_over_cap(bond: Bond, lang):
    totals = programme_position(programme=bond.programme).totals
    cap = bond.programme.contract_cap
    assert cap is not None
    share = format_decimal(Fraction(totals["due"] * 100, cap), lang)
    # The bond has dues it has not been paid: the two readings differ.
    assert share != format_decimal(Fraction(totals["received"] * 100, cap), lang)

    client = Client()
    client.force_login(bond.manager)
    client.cookies["django_language"] = lang
    html = client.get(reverse("payments_portal:dashboard", args=[bond.programme.pk])).content
    assert f'data-figure="cap-share-used">{share}\u00a0%<' in html.decode()

    label = "Part du plafond utilisée" if lang == "fr" else "Share of cap used"
    printed = f"{share} %" if lang == "fr" else f"{share}%"
    for edition in ("public", "manager"):
        pdf = report_render(programme=bond.programme, edition=edition, language=lang)
        assert value_after(pdf_lines(pdf), label) == printed, edition
