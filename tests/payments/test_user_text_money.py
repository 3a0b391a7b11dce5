"""The money services refuse free text with bidi or control characters too (sib.user_text):
descriptions and reasons are chained with their movement and a reason can be printed."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from payments import services
from payments.distributions import distribution_record
from payments.guarantees import guarantee_call_record
from payments.models import Commitment, LedgerTransaction, ProgrammeVariation, TransactionKind
from payments.variations import programme_vary
from sib import services as sib_services
from sib.models import Organisation
from tests.payments.schedule_support import D, jardins

pytestmark = pytest.mark.django_db

SPOOFED = "Bounced \u202e€ 0001"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def refused_at(field: str, refused: pytest.ExceptionInfo[ValidationError]) -> None:
    (message,) = refused.value.message_dict[field]
    assert message.startswith(f"{field} contains the invisible control character U+202E")


def test_a_payment_description_and_a_reversal_reason_are_refused():
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    with pytest.raises(ValidationError) as refused:
        services.payment_received_record(
            programme=deal.programme,
            payer=Organisation.objects.get(slug="etat"),
            amount=560_000,
            received_on=D(2027, 1, 15),
            actor=deal.manager,
            description=SPOOFED,
        )
    refused_at("description", refused)
    payment = deal.receive("etat", 560_000, D(2027, 1, 15))
    with pytest.raises(ValidationError) as refused:
        services.ledger_transaction_reverse(original=payment, reason=SPOOFED, actor=deal.manager)
    refused_at("reason", refused)
    kinds = LedgerTransaction.objects.filter(programme=deal.programme).values_list("kind")
    assert (TransactionKind.REVERSAL,) not in kinds
    assert kinds.filter(kind=TransactionKind.PAYMENT_RECEIVED).count() == 1


def test_distribution_guarantee_variation_and_termination_reasons_are_refused():
    deal = jardins()
    commitment = Commitment.objects.filter(tranche__programme=deal.programme).first()
    assert commitment is not None
    writes = {
        "distribution": lambda: distribution_record(
            programme=deal.programme, paid_on=D(2027, 1, 15), lines=[], actor=deal.manager,
            reason=SPOOFED,
        ),
        "guarantee call": lambda: guarantee_call_record(
            commitment=commitment, amount=100, called_on=D(2027, 1, 15), actor=deal.manager,
            reason=SPOOFED,
        ),
        "variation": lambda: programme_vary(
            programme=deal.programme, kind="contract_cap", effective_date=D(2027, 1, 1),
            reason=SPOOFED, parameters={},
        ),
        "termination": lambda: sib_services.programme_terminate(
            programme=deal.programme, termination_date=D(2027, 1, 1), reason=SPOOFED
        ),
    }  # fmt: skip
    for name, write in writes.items():
        with pytest.raises(ValidationError) as refused:
            write()
        refused_at("reason", refused)
        assert name  # the loop names the write in a failure's traceback
    assert not ProgrammeVariation.objects.exists()
    deal.programme.refresh_from_db()
    assert deal.programme.status == "active"
