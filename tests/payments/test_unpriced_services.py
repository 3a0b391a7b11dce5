"""Through the services: results on unpriced metrics are evidence that books nothing, and
a programme whose cap is unknown is capped by nothing but what each payer owes."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from outcomes.models import ResultState
from outcomes.selectors import results_with_state
from payments.models import LedgerTransaction
from payments.portal.previews import verification_figures
from payments.position import programme_position
from tests.payments.schedule_support import D, Deal

pytestmark = pytest.mark.django_db


def deal(cap: int | None = None) -> Deal:
    d = (
        Deal("unpriced", contract_cap=cap)
        .cohort("c1", 1000)
        .period("2026", D(2026, 1, 1), D(2026, 12, 31))
    )
    d.metric("training", {"kind": "rate_card", "price": 80_000})
    d.metric("wellbeing", {"kind": "tracked"})
    d.metric("sustained", {"kind": "undisclosed"})
    return d


def test_unpriced_results_are_verified_and_book_nothing():
    d = deal()
    for metric in ("wellbeing", "sustained"):
        result = d.result(metric, "c1", "2026", 40)
        state = results_with_state(type(result).objects.filter(pk=result.pk)).get().state
        assert state == ResultState.VERIFIED
    assert not LedgerTransaction.objects.filter(programme=d.programme, kind="outcome_due").exists()
    assert programme_position(programme=d.programme).totals["due"] == 0


@pytest.mark.parametrize(
    ("metric", "says"),
    [
        ("wellbeing", "Cet indicateur est suivi, non payé"),
        ("sustained", "Prix non communiqué\u00a0: le contrat paie cet indicateur"),
    ],
)
def test_the_verification_preview_says_why_an_unpriced_result_adds_nothing(metric, says):
    d = deal()
    result = d.result(metric, "c1", "2026", 12, verify=False)
    with translation.override("fr"):
        html = verification_figures(None, programme=d.programme, result=result)
    assert says in html
    assert "plafonds du contrat ne lui donnent" not in html  # not the generic line


def test_with_the_cap_unknown_every_due_is_payable_and_only_the_due_is_checked():
    """500 trainings x 800 € = 400 000 €, the State's 70 % = 280 000 €: all of it may be
    paid, not a cent more; under a 100 000 € cap the State would owe 70 000 €."""
    d = deal(cap=None)
    d.result("training", "c1", "2026", 500)
    assert programme_position(programme=d.programme).totals["due"] == 40_000_000
    d.receive("etat", 28_000_000, D(2027, 1, 31))
    with pytest.raises(ValidationError, match="Etat doit 0,00"):
        d.receive("etat", 1, D(2027, 2, 1))


def test_a_known_cap_still_caps():
    d = deal(cap=10_000_000)
    d.result("training", "c1", "2026", 500)
    assert programme_position(programme=d.programme).totals["due"] == 10_000_000
