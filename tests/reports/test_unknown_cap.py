"""A contract whose cap is unknown: the reports say so, in the reader's language, and draw
no cap line; they never print a number for a cap nobody published."""

import pytest

from reports.services import report_render
from sib.models import Programme
from tests.reports.conftest import Bond
from tests.reports.support import pdf_lines, value_after

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("edition", "lang", "label", "unknown"),
    [
        ("public", "fr", "Plafond du contrat", "inconnu"),
        ("manager", "en", "Contract cap", "unknown"),
    ],
)
def test_an_unknown_cap_is_printed_as_unknown(bond: Bond, edition, lang, label, unknown):
    # Straight in the table: the services refuse to change an active programme's cap.
    Programme.objects.filter(pk=bond.programme.pk).update(contract_cap=None)
    bond.programme.refresh_from_db()
    lines = pdf_lines(report_render(programme=bond.programme, edition=edition, language=lang))
    assert value_after(lines, label) == unknown
    share_used = "Part du plafond utilisée" if lang == "fr" else "Share of cap used"
    assert value_after(lines, share_used) == "—"
