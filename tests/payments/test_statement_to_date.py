"""What an investor received is the ledger's; what the waterfall proposes is named so.

The probe of issue 11: the State paid what it owed, the waterfall proposed repaying the
bank, and no distribution was recorded. The statement and the schedule document called
the proposal `principal_repaid` (with an XIRR of about -100 %) while the ledger said 0 €
had been repaid. Now a statement's `to_date` is the ledger's (payments.returns) and the
waterfall's figures sit under `proposed`, with keys that say proposed.
"""

import json

import pytest
from rest_framework.test import APIClient

from payments.returns import investor_returns
from payments.schedule_builder import schedule_document
from sib.models import Membership, Organisation, User
from tests.payments.schedule_support import D, jardins

pytestmark = pytest.mark.django_db

BANK = "banque-solidaire"
PAID_AS = {"principal_repaid", "return_paid", "guarantee_received", "returned"}


@pytest.fixture
def deal():
    deal = jardins("statement-to-date")
    deal.draw("senior", BANK, D(2026, 2, 1), 10_000_000)
    deal.result("training", "c1", "2026", 50)  # 40 000 €: the State owes 28 000 €
    deal.receive("etat", 2_800_000, D(2027, 1, 15))
    return deal


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _statement(deal, user):  # type: ignore[no-untyped-def]
    api = APIClient()
    api.force_authenticate(user)
    response = api.get(f"/api/programmes/{deal.programme.pk}/statement/?investor={BANK}")
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def test_the_statement_says_what_the_ledger_records_received_not_the_proposal(deal):
    statement = _statement(deal, deal.manager)
    to_date = statement["to_date"]
    assert (to_date["drawn"], to_date["principal_repaid"], to_date["returned"]) == (
        10_000_000, 0, 0,
    )  # fmt: skip
    assert to_date["xirr"]["value"] is None and to_date["moic"]["value"] == "0.0000"
    proposed = statement["proposed"]["metrics"]
    assert proposed["proposed_principal_repayment"] > 0
    assert sum(d["amount"] for d in statement["proposed"]["distributions"]) > 0
    # Nothing of the proposal is called paid.
    assert not _keys(statement["proposed"]) & PAID_AS


def test_an_investors_own_statement_reads_the_same_to_date_as_the_ledger(deal):
    investor = User.objects.create(username="statement-bank")
    Membership.objects.create(
        user=investor,
        programme=deal.programme,
        role="investor",
        organisation=Organisation.objects.get(slug=BANK),
    )
    statement = _statement(deal, investor)
    [bank] = [r for r in investor_returns(programme=deal.programme, by_investor=True)
              if r.investor == BANK]  # fmt: skip
    assert statement["to_date"]["principal_repaid"] == bank.principal_repaid == 0
    assert statement["to_date"]["drawn"] == bank.drawn


def test_the_schedule_document_names_the_waterfalls_figures_as_proposed(deal):
    document = schedule_document(programme=deal.programme)
    assert not _keys(document["investors"]) & PAID_AS
    assert not _keys(document["schedule"]["lines"]) & PAID_AS
    [bank] = [i for i in document["investors"] if i["investor"] == BANK]
    assert bank["proposed_principal_repayment"] == sum(
        line["proposed_principal_repayment"]
        for line in document["schedule"]["lines"]
        if line["investor"] == BANK
    )
