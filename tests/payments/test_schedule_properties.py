"""Properties of the stored schedule, end to end: database rows in, canonical document out.

tests/payments/test_schedule.py and the rules tests check the same laws on the engine
alone; these go through what the worker runs (verified results and ledger postings read
back by `payments.schedule_builder` as of the chain head, then stored by
`programme_recompute`), on the demo deal of DOMAIN.md with random drawdowns, verified
aggregate counts and payments received:

- Σ distributions + Σ residual = Σ outcome payments received, to the cent;
- no investor gets more principal than it drew, nor more return than its annual cap
  allows on all it drew since its first drawdown;
- no junior money while senior principal is outstanding (the deal's order is senior
  principal, senior return, junior principal, junior return);
- the stored document is what a fresh computation of the same rows gives, byte for byte,
  its terms are the programme's current ones (chained by the services), and asking again
  stores nothing new;
- lowering a verified count (a verified amendment) never raises any outcome payment line.
  True for rate cards, which the demo uses. Known exception, by the deal's own rule and
  pinned in tests/payments/test_rules_comparison.py: under "early payment at the cohort
  threshold, else the pooled threshold", a cohort lowered just below its early threshold
  can be paid more through the pool.
"""

import itertools
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcomes import services as outcome_services
from payments.contract import contract_definition
from payments.models import ScheduleVersion
from payments.position import programme_position
from payments.schedule_builder import (
    document_bytes,
    scenario_for,
    schedule_compute,
    schedule_state,
)
from payments.schedules import programme_recompute
from sib.chain import canonical_json, chain_head
from tests.payments.schedule_support import jardins

pytestmark = pytest.mark.django_db

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# (tranche, investor, commitment, annual cap)
LENDERS = (
    ("senior", "banque-solidaire", 60_000_000, Decimal("0.05")),
    ("senior", "fondation-terre", 30_000_000, Decimal("0.05")),
    ("junior", "fonds-impact", 20_000_000, Decimal("0.08")),
)
CELLS = [
    (metric, cohort, period)
    for metric, cohort, period in itertools.product(
        ("training", "work-6m", "work-12m"), ("c1", "c2", "c3"), ("2026", "2027", "2028")
    )
]
_slugs = itertools.count()

days = st.integers(min_value=0, max_value=4 * 365)
drawdowns = st.lists(
    st.tuples(st.integers(0, 2), st.integers(1, 30_000_000), st.integers(0, 364)),
    min_size=1,
    max_size=5,
)
results = st.dictionaries(st.sampled_from(CELLS), st.integers(0, 100), min_size=1, max_size=5)
payments = st.lists(
    st.tuples(st.sampled_from(("etat", "departement-13")), st.integers(1, 40_000_000), days),
    min_size=1,
    max_size=5,
)


def _build(draws, counts, received):
    deal = jardins(f"prop-{next(_slugs)}")
    drawn = {i: 0 for i in range(len(LENDERS))}
    for i, amount, day in sorted(draws, key=lambda d: d[2]):
        tranche, investor, commitment, _ = LENDERS[i]
        amount = min(amount, commitment - drawn[i])
        if amount > 0:
            deal.draw(tranche, investor, date(2026, 1, 1) + timedelta(days=day), amount)
            drawn[i] += amount
    verified = {cell: deal.result(*cell, count) for cell, count in sorted(counts.items())}
    for payer, amount, day in received:
        deal.receive(payer, amount, date(2026, 6, 1) + timedelta(days=day), advance=True)
    return deal, verified


def _stored(programme):
    version = programme_recompute(programme_id=programme.pk, projections=())[0]
    return version, json.loads(version.content)


@SETTINGS
@given(draws=drawdowns, counts=results, received=payments)
def test_stored_schedule_keeps_the_laws_of_the_waterfall_and_recomputes_identically(
    draws, counts, received
):
    deal, _ = _build(draws, counts, received)
    programme = deal.refresh()
    version, document = _stored(programme)
    schedule = document["schedule"]

    # The stored bytes are a fresh computation of the same rows; asking again adds nothing.
    head = chain_head(programme_id=programme.pk)
    assert version.chain_head == head
    terms = canonical_json(contract_definition(programme=programme))
    assert version.contract_version.definition == terms
    fresh, _ = schedule_compute(schedule_state(programme=programme), scenario_for(None))
    assert version.content == document_bytes(fresh)
    assert _stored(programme)[0].pk == version.pk
    assert ScheduleVersion.objects.filter(programme=programme).count() == 1

    # The waterfall runs on the money that met dues: what was received less the advances
    # not yet applied (docs/ledger.md, "Advances"), to the cent.
    totals = programme_position(programme=programme).totals
    assert totals["received"] == sum(amount for _, amount, _ in received)
    distributed = sum(row["amount"] for row in schedule["distributions"])
    residual = sum(row["amount"] for row in schedule["residuals"])
    met_dues = totals["received"] - totals["advance"]
    assert distributed + residual == met_dues == schedule["totals"]["received"]

    caps = {investor: rate for _, investor, _, rate in LENDERS}
    for row in document["investors"]:
        if row["investor"] not in caps:
            continue
        assert row["proposed_principal_repayment"] <= row["drawn"]
        lines = [x for x in schedule["lines"] if x["investor"] == row["investor"] and x["drawn"]]
        if lines:
            first = date.fromisoformat(lines[0]["on"])
            last = max(date.fromisoformat(x["on"]) for x in schedule["lines"])
            bound = caps[row["investor"]] * row["drawn"] * (last - first).days / 365
            assert row["proposed_return_payment"] <= bound + 1

    # Senior outstanding after each date, from the lines; junior money only once it is 0.
    senior_left: dict[str, int] = {}
    for line in schedule["lines"]:
        if line["tranche"] == "senior":
            senior_left[line["on"]] = senior_left.get(line["on"], 0) + line["outstanding_principal"]
    for row in schedule["distributions"]:
        if row["tranche"] == "junior":
            assert senior_left[row["on"]] == 0, row


@SETTINGS
@given(
    draws=drawdowns,
    counts=results,
    received=payments,
    which=st.integers(0, 4),
    lower_by=st.integers(1, 100),
)
def test_lowering_a_verified_count_never_raises_an_outcome_payment(
    draws, counts, received, which, lower_by
):
    deal, verified = _build(draws, counts, received)
    _, before = _stored(deal.refresh())
    cell = sorted(verified)[which % len(verified)]
    lowered = max(counts[cell] - lower_by, 0)
    amendment = outcome_services.result_amend(
        result=verified[cell],
        user=deal.evaluator,
        reason="recount",
        stage=None,
        values=outcome_services.ResultValues(value=Decimal(lowered)),
    )
    outcome_services.result_verify(result=amendment, user=deal.lead)
    _, after = _stored(deal.refresh())

    def by_cell(document):
        totals: dict[tuple[str, str, str], int] = {}
        for line in document["outcome_payments"]["lines"]:
            key = (line["metric"], line["cohort"], line["period"])
            totals[key] = totals.get(key, 0) + line["amount"]
        return totals

    old, new = by_cell(before), by_cell(after)
    for key, amount in new.items():
        assert amount <= old.get(key, 0), key
    assert after["outcome_payments"]["total"] <= before["outcome_payments"]["total"]
    assert new.get(cell, 0) <= lowered * _price(cell[0])


def _price(metric: str) -> int:
    return {"training": 80_000, "work-6m": 300_000, "work-12m": 250_000}[metric]
