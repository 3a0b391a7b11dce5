"""Portal: record distributions in one step (prefilled, confirmed), guarantees, reversals."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from payments.distributions import distribution_proposal
from payments.models import LedgerTransaction, TransactionKind
from payments.position import distributions_compared, programme_position
from tests.payments.schedule_support import D, jardins
from tests.payments.test_distributions import PAID_ON, funded

pytestmark = pytest.mark.django_db


def manager(deal, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(deal.manager)
    return client


def url(name: str, deal, **kwargs) -> str:
    return reverse(f"payments_portal:{name}", kwargs={"programme_id": deal.programme.pk, **kwargs})


def major(minor: int) -> str:
    return f"{Decimal(minor) / 100:.2f}"


def form_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def test_distributions_are_recorded_from_the_proposal_after_a_confirmation_page():
    deal = funded()
    client = manager(deal)
    overview = client.get(url("distributions", deal)).content.decode()
    assert "Not recorded" in overview
    record = url("distribution-record", deal, paid_on=PAID_ON.isoformat())
    assert record in overview
    page = client.get(record).content.decode()
    proposal = distribution_proposal(programme=deal.programme, paid_on=PAID_ON)
    rows = sorted(proposal.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2]))
    for _, amount in rows:
        assert f'value="{major(amount)}"' in page  # prefilled from the proposal
    data = {"idempotency_key": form_key(page)}
    for i, (_, amount) in enumerate(rows):
        data[f"amount_{i}"] = major(amount - (100 if i == 0 else 0))

    confirm = client.post(record, data).content.decode()
    assert "Confirm the distributions" in confirm
    assert "-€1.00" in confirm or "−€1.00" in confirm  # the difference is shown
    assert not LedgerTransaction.objects.filter(kind="distribution").exists()

    refused = client.post(record, {**data, "confirm": "1"}).content.decode()
    assert "differ from the schedule" in refused
    assert not LedgerTransaction.objects.filter(kind="distribution").exists()

    done = client.post(record, {**data, "reason": "one euro held back", "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == url("distributions", deal)
    [tx] = LedgerTransaction.objects.filter(programme=deal.programme, kind="distribution")
    assert tx.reason == "one euro held back"
    assert [
        line.difference
        for line in distributions_compared(programme=deal.programme)
        if line.difference
    ] == [-100]
    again = client.post(record, {**data, "reason": "one euro held back", "confirm": "1"})
    assert again.status_code == 302  # the same form posted twice records once
    assert (
        LedgerTransaction.objects.filter(programme=deal.programme, kind="distribution").count() == 1
    )


def test_the_distribution_pages_are_in_french():
    deal = funded()
    client = manager(deal, "fr")
    overview = client.get(url("distributions", deal)).content.decode()
    assert "Non enregistrées" in overview
    # The tranche by its name (this deal's is "senior"), its key beside in <code>.
    assert "<td>senior <code>senior</code></td>" in overview
    page = client.get(
        url("distribution-record", deal, paid_on=PAID_ON.isoformat())
    ).content.decode()
    assert "Enregistrer des distributions" in page and "Vérifier les distributions" in page


def test_an_investor_cannot_open_the_distribution_pages():
    from sib.models import Membership, User

    deal = funded()
    investor = User.objects.create(username="an-investor")
    Membership.objects.create(
        user=investor,
        programme=deal.programme,
        role="investor",
        organisation=deal.commitments[("senior", "banque-solidaire")].investor,
    )
    client = Client()
    client.force_login(investor)
    assert client.get(url("distributions", deal)).status_code in (403, 404)
    assert client.get(url("movements", deal)).status_code in (403, 404)


def test_an_investors_page_dates_and_names_the_proposed_distributions_in_french():
    # It printed the statement's JSON as is: "2027-03-31" and the step code "principal".
    from sib.models import Membership, User

    deal = funded()
    investor = User.objects.create(username="an-investor")
    Membership.objects.create(
        user=investor,
        programme=deal.programme,
        role="investor",
        organisation=deal.commitments[("senior", "banque-solidaire")].investor,
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(investor)
    page = client.get(url("my-commitments", deal)).content.decode()
    [share] = [
        amount
        for (step, tranche, recipient), amount in distribution_proposal(
            programme=deal.programme, paid_on=PAID_ON
        ).items()
        if recipient == "banque-solidaire"
    ]
    row = re.search(r'<tr data-distribution data-on="2027-03-31">(.*?)</tr>', page, re.S)
    assert row is not None, page
    assert ">31/03/2027<" in row.group(1)
    # The step by its name, the tranche by its name with its code beside (this deal names
    # its senior tranche "senior").
    assert ">Principal (senior <code>senior</code>)<" in row.group(1)
    assert major(share).replace(".", ",") in row.group(1).replace("\u202f", "")
    assert ">2027-03-31<" not in page and ">principal" not in page


def test_a_guarantee_is_called_and_partly_paid_from_the_portal():
    deal = jardins()
    client = manager(deal)
    commitment = deal.commitments[("guarantee", "fondation-garantie")]
    page = client.get(url("guarantee-record", deal, what="call")).content.decode()
    response = client.post(
        url("guarantee-record", deal, what="call"),
        {
            "idempotency_key": form_key(page),
            "commitment": commitment.pk,
            "on": "2030-12-31",
            "amount": "120000",
            "reason": "senior tranche ended short",
        },
    )
    assert response.status_code == 302
    page = client.get(url("guarantee-record", deal, what="payment")).content.decode()
    too_much = client.post(
        url("guarantee-record", deal, what="payment"),
        {
            "idempotency_key": form_key(page),
            "commitment": commitment.pk,
            "on": "2031-01-15",
            "amount": "120000.01",
        },
    )
    assert too_much.status_code == 200 and "called and not paid" in too_much.content.decode()
    response = client.post(
        url("guarantee-record", deal, what="payment"),
        {
            "idempotency_key": form_key(page),
            "commitment": commitment.pk,
            "on": "2031-01-15",
            "amount": "100000",
        },
    )
    assert response.status_code == 302
    [guarantor] = programme_position(programme=deal.programme).guarantors
    assert (guarantor.guarantee_called, guarantor.guarantee_paid) == (12_000_000, 10_000_000)
    assert "Fondation Garantie" in client.get(url("guarantees", deal)).content.decode()


def test_reversing_a_payment_received_in_the_portal_needs_a_reason_and_puts_the_debt_back():
    deal = jardins()
    deal.result("training", "c1", "2026", 10)  # the State owes 5 600 €
    payment = deal.receive("etat", 560_000, D(2027, 1, 15))
    assert programme_position(programme=deal.programme).payer("etat").outstanding == 0
    client = manager(deal)
    reverse_url = url("transaction-reverse", deal, transaction_id=payment.pk)
    assert reverse_url in client.get(url("movements", deal)).content.decode()
    page = client.get(reverse_url).content.decode()
    key = form_key(page)
    empty = client.post(reverse_url, {"idempotency_key": key, "reason": ""})
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()
    confirm = client.post(reverse_url, {"idempotency_key": key, "reason": "paid twice by mistake"})
    assert "Confirm the reversal" in confirm.content.decode()
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL).exists()
    done = client.post(
        reverse_url, {"idempotency_key": key, "reason": "paid twice by mistake", "confirm": "1"}
    )
    assert done.status_code == 302
    [reversal] = LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL)
    assert reversal.reverses_id == payment.pk and reversal.reason == "paid twice by mistake"
    etat = programme_position(programme=deal.programme).payer("etat")
    assert (etat.due, etat.received, etat.outstanding) == (560_000, 0, 560_000)
    assert client.get(reverse_url).status_code == 404  # reversed once


def test_a_distribution_reversed_in_the_portal_can_be_recorded_again():
    deal = funded()
    client = manager(deal)
    from payments.distributions import PaidOut, distribution_record

    proposal = distribution_proposal(programme=deal.programme, paid_on=PAID_ON)
    tx = distribution_record(
        programme=deal.programme,
        paid_on=PAID_ON,
        actor=deal.manager,
        lines=[PaidOut(k[0], k[2], amount, k[1]) for k, amount in proposal.items()],
    )
    overview = client.get(url("distributions", deal)).content.decode()
    reverse_url = url("transaction-reverse", deal, transaction_id=tx.pk)
    assert reverse_url in overview and "Recorded as proposed" in overview
    key = form_key(client.get(reverse_url).content.decode())
    client.post(reverse_url, {"idempotency_key": key, "reason": "wrong date", "confirm": "1"})
    assert programme_position(programme=deal.programme).distributed == 0
    assert (
        url("distribution-record", deal, paid_on=PAID_ON.isoformat())
        in client.get(url("distributions", deal)).content.decode()
    )


def test_the_distribution_and_reversal_confirmations_are_french_and_write_nothing():
    deal = funded()
    client = manager(deal, "fr")
    record = url("distribution-record", deal, paid_on=PAID_ON.isoformat())
    page = client.get(record).content.decode()
    proposal = distribution_proposal(programme=deal.programme, paid_on=PAID_ON)
    data = {"idempotency_key": form_key(page)}
    for i, amount in enumerate(
        amount
        for _, amount in sorted(
            proposal.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2])
        )
    ):
        data[f"amount_{i}"] = f"{Decimal(amount) / 100:.2f}".replace(".", ",")
    confirm = client.post(record, data).content.decode()
    assert "Confirmer les distributions" in confirm and "Enregistrer les distributions" in confirm
    assert "Confirm the distributions" not in confirm and "Record the distributions" not in confirm
    assert not LedgerTransaction.objects.filter(kind="distribution").exists()

    payment = LedgerTransaction.objects.get(programme=deal.programme, kind="payment_received")
    reverse_url = url("transaction-reverse", deal, transaction_id=payment.pk)
    key = form_key(client.get(reverse_url).content.decode())
    html = client.post(reverse_url, {"idempotency_key": key, "reason": "doublon"}).content.decode()
    assert "Confirmer la contre-passation" in html and "Contre-passer le mouvement" in html
    assert "Confirm the reversal" not in html and "Reverse the movement" not in html
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL).exists()
