"""Schedules are pure reads: no page, endpoint or command showing one writes anything.

The programme is the demo bond with money drawn and received and results verified, then
terminated: the change after which a GET used to chain the new terms itself (nothing else
recomputed). Each read below must leave the chain head and every row count as they were,
a custom percentage included (it used to store a permanent schedule row per new value).
"""

import json
from collections.abc import Callable
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from payments.models import (
    ContractVersion,
    LedgerTransaction,
    OutcomePaymentLine,
    ScheduleVersion,
)
from payments.schedules import programme_recompute
from sib import services as sib_services
from sib.chain import chain_head
from sib.models import ChainEntry, Membership, OutboxMessage, User
from tests.payments.schedule_support import D, Deal, jardins, org

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal() -> Deal:
    deal = jardins("pure-reads")
    deal.draw("senior", "banque-solidaire", D(2026, 1, 15), 60_000_000)
    deal.draw("junior", "fonds-impact", D(2026, 1, 15), 20_000_000)
    deal.participants("training", "c1", "2026", [(f"p{i}", D(2026, 5, 1)) for i in range(20)])
    deal.receive("etat", 1_000_000, D(2026, 12, 1))
    deal.programme = sib_services.programme_terminate(
        programme=deal.programme, termination_date=D(2027, 6, 30), reason="Payer option"
    )
    investor = User.objects.create(username="pure-reads-investor")
    Membership.objects.create(
        user=investor,
        programme=deal.programme,
        role="investor",
        organisation=org("banque-solidaire", "investor"),
    )
    return deal


def footprint(deal: Deal) -> dict[str, object]:
    """Return the chain head and the count of every row a schedule read could write."""
    return {
        "head": chain_head(programme_id=deal.programme.pk),
        "chain entries": ChainEntry.objects.count(),
        "schedule versions": ScheduleVersion.objects.count(),
        "contract versions": ContractVersion.objects.count(),
        "payment lines": OutcomePaymentLine.objects.count(),
        "outbox messages": OutboxMessage.objects.count(),
        "ledger transactions": LedgerTransaction.objects.count(),
    }


def api(path: str) -> Callable[[Deal], None]:
    def get(deal: Deal) -> None:
        client = APIClient()
        client.force_authenticate(deal.manager)
        url = f"/api/programmes/{deal.programme.pk}/{path}"
        response = client.get(url)
        assert response.status_code == 200, response.content

    return get


def page(path: str, *, as_investor: bool = False) -> Callable[[Deal], None]:
    def get(deal: Deal) -> None:
        client = Client()
        user = User.objects.get(username="pure-reads-investor") if as_investor else deal.manager
        client.force_login(user)
        response = client.get(f"/programmes/{deal.programme.pk}/{path}")
        assert response.status_code == 200, response.content[:500]

    return get


def command(*args: str) -> Callable[[Deal], None]:
    def run(deal: Deal) -> None:
        out = StringIO()
        call_command("schedule", deal.programme.slug, *args, stdout=out)
        assert deal.programme.slug in out.getvalue()

    return run


READS = {
    "api schedule": api("schedule/"),
    "api default scenario": api("schedule/scenarios/75/"),
    "api custom scenario": api("schedule/scenarios/62/"),
    "api outcome payments": api("outcome-payments/"),
    "api investor statement": api("statement/?investor=banque-solidaire"),
    "page dashboard": page("money/"),
    "page schedule": page("money/schedule/"),
    "page scenarios with a custom percentage": page("money/scenarios/?percent=62"),
    "page outcome payments": page("money/outcome-payments/"),
    "page investor's own statement": page("money/mine/", as_investor=True),
    "chart of payments": page("charts/payments.svg"),
    "chart of the schedule": page("charts/schedule.svg"),
    "command actual": command(),
    "command custom scenario as json": command("--scenario", "62", "--json"),
}


@pytest.mark.parametrize("read", list(READS.values()), ids=list(READS))
def test_a_schedule_read_changes_neither_the_chain_nor_any_row(deal: Deal, read):  # type: ignore[no-untyped-def]
    before = footprint(deal)
    read(deal)
    read(deal)  # a second read finds nothing to do either
    assert footprint(deal) == before


@pytest.mark.parametrize("read", list(READS.values()), ids=list(READS))
def test_a_schedule_read_after_a_recompute_changes_nothing_either(deal: Deal, read):  # type: ignore[no-untyped-def]
    programme_recompute(programme_id=deal.programme.pk)
    before = footprint(deal)
    read(deal)
    assert footprint(deal) == before


def test_termination_is_chained_by_the_service_itself(deal: Deal):
    latest = ContractVersion.objects.filter(programme=deal.programme).order_by("-id").first()
    assert latest is not None
    assert json.loads(latest.definition)["programme"]["status"] == "terminated"
    head = ChainEntry.objects.filter(programme=deal.programme).order_by("-seq").first()
    assert head is not None
    assert (head.kind, head.object_id) == ("payments.contract_version", str(latest.pk))


def test_a_read_after_termination_shows_the_terminated_terms(deal: Deal):
    client = APIClient()
    client.force_authenticate(deal.manager)
    document = client.get(f"/api/programmes/{deal.programme.pk}/schedule/").json()
    latest = ContractVersion.objects.filter(programme=deal.programme).order_by("-id").first()
    assert latest is not None
    assert document["contract_version"] == latest.digest
    assert document["end_date"] == "2027-06-30"
    assert document["chain_head"] == chain_head(programme_id=deal.programme.pk)


def test_a_read_serves_the_stored_document_when_the_recompute_stored_one(deal: Deal, monkeypatch):
    programme_recompute(programme_id=deal.programme.pk)
    stored = ScheduleVersion.objects.get(
        programme=deal.programme,
        chain_head=chain_head(programme_id=deal.programme.pk),
        scenario="actual",
    )

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("computed although a stored document was at the head")

    monkeypatch.setattr("payments.schedule_builder.schedule_compute", refuse)
    client = APIClient()
    client.force_authenticate(deal.manager)
    document = client.get(f"/api/programmes/{deal.programme.pk}/schedule/").json()
    assert document == json.loads(stored.content)


def test_the_recompute_stores_the_default_scenarios_only(deal: Deal):
    programme_recompute(programme_id=deal.programme.pk)
    head = chain_head(programme_id=deal.programme.pk)
    scenarios = set(
        ScheduleVersion.objects.filter(programme=deal.programme, chain_head=head).values_list(
            "scenario", flat=True
        )
    )
    assert scenarios == {
        "actual",
        "projection-0",
        "projection-50",
        "projection-75",
        "projection-100",
        "projection-125",
    }


def test_a_computed_custom_scenario_equals_what_storing_it_would_have_given(deal: Deal):
    from payments.schedule_builder import schedule_document

    document = schedule_document(programme=deal.programme, percent=Decimal("62.5"))
    assert document["scenario"] == "projection-62.5"
    assert document["projection"] is True
    assert not ScheduleVersion.objects.filter(scenario="projection-62.5").exists()


def test_a_past_state_computes_the_document_the_recompute_stored_then():
    from outcomes import services as outcome_services
    from payments.schedule_builder import (
        document_bytes,
        scenario_for,
        schedule_compute,
        schedule_state,
    )

    deal = jardins("past-state")
    deal.draw("senior", "banque-solidaire", D(2026, 1, 15), 60_000_000)
    first = deal.result("training", "c1", "2026", 30)
    deal.receive("etat", 2_000_000, D(2026, 12, 1), advance=True)
    stored = programme_recompute(programme_id=deal.programme.pk)
    seq = ChainEntry.objects.filter(programme=deal.programme).order_by("-seq").first().seq
    # Everything moves on: an amendment verified, money reversed, the contract terminated.
    amendment = outcome_services.result_amend(
        result=first,
        user=deal.evaluator,
        reason="recount",
        stage=None,
        values=outcome_services.ResultValues(value=Decimal(12)),
    )
    outcome_services.result_verify(result=amendment, user=deal.lead)
    deal.draw("junior", "fonds-impact", D(2026, 2, 1), 5_000_000)
    sib_services.programme_terminate(
        programme=deal.refresh(), termination_date=D(2027, 1, 31), reason="Payer option"
    )
    for version in stored:
        scenario = scenario_for(json.loads(version.content)["percent"])
        then = schedule_state(programme=deal.programme, at=seq)
        assert document_bytes(schedule_compute(then, scenario)[0]) == version.content
        now = schedule_state(programme=deal.programme)
        assert document_bytes(schedule_compute(now, scenario)[0]) != version.content


def test_projections_and_schedules_import_each_other_at_module_level_only():
    import ast
    import pathlib

    modules = ("projections", "schedule_builder", "schedules", "contract")
    for name in modules:
        tree = ast.parse(pathlib.Path(f"payments/{name}.py").read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and node.module:
                    assert node.module.removeprefix("payments.") not in modules, (name, node.module)
    # The lower module knows nothing above it.
    projections = ast.parse(pathlib.Path("payments/projections.py").read_text())
    imported = {n.module for n in ast.walk(projections) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m and m.startswith("payments.schedule")}
