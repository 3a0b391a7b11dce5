"""An advance is money paid ahead of a due, never more than the payer could ever owe.

The most a payer can owe over the contract is the contract cap times its share (its
largest share, where payer splits give it several), or its own payer cap when it has
one, whichever is lower; when neither is known there is nothing to check. An advance
that would take what the payer has paid past that is refused, by the service, so by the
API and the portal alike (tests/portal/test_payment_confirmation.py).
"""

import uuid
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from rest_framework.test import APIClient

from payments.advance_limits import payer_most_owed
from payments.models import LedgerTransaction, PaymentTerms
from payments.position import programme_position
from sib.models import ProgrammeParty
from tests.payments.schedule_support import Deal, jardins

pytestmark = pytest.mark.django_db

ON = date(2027, 1, 15)


def _payments(deal: Deal) -> int:
    return LedgerTransaction.objects.filter(
        programme=deal.programme, kind="payment_received"
    ).count()


def _post(deal: Deal, payer: str, amount: int, language: str = "en"):  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(deal.manager)
    return client.post(
        f"/api/programmes/{deal.programme.pk}/payments-received/create/",
        {"payer": payer, "received_on": ON.isoformat(), "amount": amount, "advance": True},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_an_advance_up_to_the_contract_cap_times_the_payers_share_is_accepted():
    deal = jardins("advance-cap-at")
    # Contract cap 1 500 000 €, the département's share 30 %: it can owe 450 000 €.
    response = _post(deal, "departement-13", 45_000_000)
    assert response.status_code == 201, response.content
    assert programme_position(programme=deal.programme).payer("departement-13").advance == (
        45_000_000
    )


def test_an_advance_past_the_contract_cap_times_the_payers_share_is_refused_over_the_api():
    deal = jardins("advance-cap-api")
    deal.receive("departement-13", 40_000_000, ON, advance=True)
    response = _post(deal, "departement-13", 5_000_001)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "amount"
    assert error["message"] == (
        "Departement 13 can owe at most €450,000.00 over the contract (the contract cap "
        "€1,500,000.00 × its share 30%) and has paid €400,000.00; an advance of €50,000.01 "
        "would pass it. An advance is never more than the payer could ever owe."
    )
    assert _payments(deal) == 1


def test_the_refusal_names_the_rule_and_the_figures_in_french():
    deal = jardins("advance-cap-fr")
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        deal.receive("departement-13", 45_000_001, ON, advance=True)
    with translation.override("fr"):
        message = " ".join(refused.value.message_dict["amount"])
    assert message == (
        "Departement 13 peut devoir au plus 450\u202f000,00\xa0€ sur le contrat (le plafond "
        "du contrat 1\u202f500\u202f000,00\xa0€ × sa part de 30\xa0%) et a versé 0,00\xa0€\xa0; "
        "une avance de 450\u202f000,01\xa0€ le dépasserait. Une avance n’est jamais "
        "supérieure à ce que le payeur pourrait devoir."
    )


def test_a_payers_own_cap_below_its_share_of_the_contract_cap_is_the_limit():
    deal = jardins("advance-cap-own")
    ProgrammeParty.objects.filter(programme=deal.programme, organisation__slug="etat").update(
        payer_cap=20_000_000
    )
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        deal.receive("etat", 20_000_001, ON, advance=True)
    with translation.override("en"):
        message = " ".join(refused.value.message_dict["amount"])
    assert "can owe at most €200,000.00 over the contract (its own cap €200,000.00)" in message
    deal.receive("etat", 20_000_000, ON, advance=True)


def test_with_the_contract_cap_unknown_and_no_payer_cap_any_advance_is_accepted():
    deal = Deal("advance-cap-unknown", contract_cap=None)
    deal.receive("etat", 900_000_000_00, ON, advance=True)
    assert programme_position(programme=deal.programme).payer("etat").advance == 900_000_000_00


def test_a_payer_of_the_rest_may_owe_the_whole_contract_cap():
    """A payer of the rest pays each line less the fixed parts and what others' caps stop:
    the most it could owe is the contract cap itself (1 500 000 €), whether it pays the
    rest everywhere or only where a payer split says so."""
    deal = jardins("advance-cap-rest")
    terms = PaymentTerms.objects.get(programme=deal.programme)
    split = {"payer": "etat", "share": "rest"}
    terms.payer_splits = [{"cohorts": ["2026"], "shares": [split]}]
    terms.save(update_fields=["payer_splits"])
    assert payer_most_owed(programme=deal.programme, payer="etat").limit == 150_000_000
    party = ProgrammeParty.objects.get(programme=deal.programme, organisation__slug="etat")
    ProgrammeParty.objects.filter(pk=party.pk).update(payer_share=None, payer_residual=True)
    PaymentTerms.objects.filter(programme=deal.programme).update(payer_splits=[])
    assert payer_most_owed(programme=deal.programme, payer="etat").limit == 150_000_000
