"""A verification booked from its own cell books to the cent what the full engine run books.

payments.accrual_cell prices one verification from its cell's results when no rule
reaches beyond the cell, and says None otherwise (the accrual then runs the engine over
every result). On random histories (verifications of new interim, final and additional
results, amendments that change the count or the stage, participant-backed results,
disputes and their withdrawal, payments and advances) on two deals, every verification
is made twice from the same state: once with the cell path switched off, rolled back,
then as the application makes it. The two must post the same transactions (kind, date,
description, and each leg's account, debit and credit, in order), or refuse alike; and
after every step what the ledger shows as due from each payer is a fresh engine run.

- "roomy": three payers at 33.33/33.33/33.34 %, odd prices (the split's rounding), a
  payer split for one cohort, a contract cap far above anything verified: the cell path
  books nearly every verification;
- "rest": a payer of the rest beside a fixed share, and a split with its own;
- "tight": the contract's cap, a payer's cap, a metric's count cap and the participant
  cap within reach of a few results, indexed prices, participant-backed results: the
  cell path books until a cap comes within reach, the engine after.

CELL_EXAMPLES sets the number of histories per deal (default 25).
"""

import os
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcomes import services as outcome_services
from outcomes.disputes import dispute_withdraw
from outcomes.models import ParticipantRecord, Result, ResultReview
from outcomes.selectors import results_with_state
from payments import accrual
from payments.models import LedgerTransaction, Leg
from payments.outcome_payments import outcome_payments_compute
from payments.position import programme_position
from sib import services as sib_services
from sib.exceptions import Conflict
from sib.models import Membership, User
from tests.payments.schedule_support import D, Deal, org
from tests.support import pseudonym_of

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("CELL_EXAMPLES", "25"))
COHORTS, PERIODS = ("c1", "c2"), ("2026", "2027")
METRICS = ("training", "work")
# Four cells, so that histories often give one cell several results; between them, both
# metrics, both cohorts (a payer split covers c2) and both periods (2027 is indexed).
CELLS = [("training", "c1", "2026"), ("training", "c2", "2027"), ("work", "c1", "2027")]
CELLS.append(("work", "c2", "2026"))


def _deal(slug: str, *, payers, caps, contract_cap, prices, max_count=None, **terms) -> Deal:
    deal = Deal.__new__(Deal)
    deal.manager = User.objects.create(username=f"{slug}-manager")
    deal.evaluator = User.objects.create(username=f"{slug}-evaluator")
    deal.lead = User.objects.create(username=f"{slug}-lead")
    programme = sib_services.programme_create(
        creator=deal.manager,
        name=slug,
        slug=slug,
        currency="EUR",
        start_date=D(2026, 1, 1),
        end_date=D(2030, 12, 31),
        contract_cap=contract_cap,
    )
    for payer, share in payers:
        sib_services.programme_party_add(
            programme=programme,
            organisation=org(payer, "outcome_payer"),
            role="outcome_payer",
            payer_share=None if share == "rest" else Decimal(share),
            payer_cap=caps.get(payer),
            payer_residual=share == "rest",
        )
    deal.programme = sib_services.programme_activate(programme=programme)
    for user, role in ((deal.evaluator, "evaluator"), (deal.lead, "lead_evaluator")):
        Membership.objects.create(user=user, programme=deal.programme, role=role)
    deal.cohorts, deal.periods, deal.metrics = {}, {}, {}
    for code in COHORTS:
        deal.cohort(code, 100)
    for year in PERIODS:
        deal.period(year, D(int(year), 1, 1), D(int(year), 12, 31))
    for code, price in zip(METRICS, prices, strict=True):
        fields = {"max_count": max_count} if max_count and code == "training" else {}
        deal.metric(code, {"kind": "rate_card", "price": price}, **fields)
    deal.terms([], **terms)
    # A funder bound to no payer: its disputes hold every payer's share.
    deal.funder = User.objects.create(username=f"{slug}-funder")
    Membership.objects.create(user=deal.funder, programme=deal.programme, role="public_funder")
    return deal


@pytest.fixture(params=["roomy", "tight", "rest"])
def deal(request):
    if request.param == "rest":
        # A payer of the rest (docs/programme-format.md): the département pays 33.33 %,
        # the State the rest of each line, and of cohort c2's a split gives it 40 %.
        return _deal(
            "cell-rest",
            payers=(("departement-13", "33.33"), ("etat", "rest")),
            caps={},
            contract_cap=10**12,
            prices=(80_001, 33_333),
            payer_splits=[
                {
                    "cohorts": ["c2"],
                    "shares": [
                        {"payer": "departement-13", "share": "60"},
                        {"payer": "etat", "share": "rest"},
                    ],
                }
            ],
        )
    if request.param == "roomy":
        return _deal(
            "cell-roomy",
            payers=(("etat", "33.33"), ("departement-13", "33.33"), ("caf", "33.34")),
            caps={},
            contract_cap=10**12,
            prices=(80_001, 33_333),
            payer_splits=[{"cohorts": ["c2"], "shares": [{"payer": "etat", "share": "100"}]}],
        )
    return _deal(
        "cell-tight",
        payers=(("etat", "70"), ("departement-13", "30")),
        caps={"departement-13": 2_500_000},
        contract_cap=8_000_000,
        prices=(80_000, 300_001),
        max_count=40,
        participant_cap=350_000,
        indexation={"factors": [{"year": 2027, "factor": "1.1"}]},
    )


# A new result: cell, count, final (else interim); weighted so that cells often take
# several results (an interim, another declared additional, a final replacing them).
verify = st.tuples(
    st.just("verify"), st.integers(0, len(CELLS) - 1), st.integers(0, 25), st.booleans()
)
# An amendment of the n-th verified result: new count, its stage changed or not.
amend = st.tuples(st.just("amend"), st.integers(0, 30), st.integers(0, 25), st.booleans())
# participant-backed: cell, which people of a pool of 6 (a bit mask)
people = st.tuples(
    st.just("people"), st.integers(0, len(CELLS) - 1), st.integers(1, 63), st.just(0)
)
# What the results are: the cell path's own ground.
facts = st.one_of(verify, verify, verify, amend, people)
# And what holds or settles them: disputes, their withdrawal, payments and advances.
anything = st.one_of(
    verify,
    verify,
    verify,
    amend,
    people,
    st.tuples(st.just("dispute"), st.integers(0, 30), st.just(0), st.just(0)),
    st.tuples(st.just("withdraw"), st.integers(0, 30), st.just(0), st.just(0)),
    # a payment received (an advance or not): payer, amount in hundreds of euros
    st.tuples(st.just("pay"), st.integers(0, 1), st.integers(1, 300), st.booleans()),
)


def _posted(programme, after: int) -> list[tuple]:
    """Return what was posted after transaction id `after`, as comparable data."""
    txs = LedgerTransaction.objects.filter(programme=programme, id__gt=after).order_by("id")
    return [
        (
            tx.kind,
            tx.occurred_on,
            tx.description,
            [
                (leg.account.code, leg.debit, leg.credit)
                for leg in Leg.objects.filter(transaction=tx)
                .select_related("account")
                .order_by("id")
            ],
        )
        for tx in txs
    ]


def _verify(deal, result_id: int) -> tuple[str, list[tuple]]:
    last = LedgerTransaction.objects.filter(programme=deal.programme).aggregate(m=Max("id"))["m"]
    result = Result.objects.get(pk=result_id)  # fresh: no cached decision from another run
    try:
        with transaction.atomic():
            outcome_services.result_verify(result=result, user=deal.lead)
    except ValidationError as exc:
        return f"refused: {exc.messages}", []
    return "verified", _posted(deal.programme, last or 0)


class Paths:
    def __init__(self) -> None:
        self.cell = 0
        self.full = 0

    def spy(self, *, programme, result):
        change = cell_due_change(programme=programme, result=result)
        if change is None:
            self.full += 1
        else:
            self.cell += 1
        return change


cell_due_change = accrual.cell_due_change


def _both_ways(deal, result_id: int, paths: Paths) -> None:
    """Verify the result with the engine's full run (rolled back), then as the
    application does; both must post the same, or refuse alike."""
    with transaction.atomic():
        with mock.patch.object(accrual, "cell_due_change", return_value=None):
            full = _verify(deal, result_id)
        transaction.set_rollback(True)
    with mock.patch.object(accrual, "cell_due_change", side_effect=paths.spy):
        made = _verify(deal, result_id)
    assert made == full


def _verified(deal) -> list[Result]:
    return list(
        results_with_state(Result.objects.filter(programme=deal.programme))
        .filter(state="verified")
        .order_by("id")
    )


def _submit(deal, cell: int, value: int, final: bool) -> Result | None:
    metric, cohort, period = CELLS[cell]
    try:
        return deal.result(
            metric,
            cohort,
            period,
            value,
            verify=False,
            stage="final" if final else "interim",
            additional=True,
            additional_reason="another intake",
        )
    except (Conflict, ValidationError):
        return None  # the cell refuses it (an interim beside a final): nothing to verify


def _people(deal, cell: int, mask: int) -> Result | None:
    metric, cohort, period = CELLS[cell]
    people = [f"p{i}" for i in range(6) if mask >> i & 1]
    try:
        with transaction.atomic():
            result = Result.objects.create(
                programme=deal.programme,
                metric=deal.metrics[metric],
                cohort=deal.cohorts[cohort],
                period=deal.periods[period],
                stage="interim",
                value=len(people),
                from_participants=True,
                submitted_by=deal.evaluator,
            )
            ParticipantRecord.objects.bulk_create(
                ParticipantRecord(
                    result=result,
                    metric=deal.metrics[metric],
                    cohort=deal.cohorts[cohort],
                    period=deal.periods[period],
                    pseudonym=pseudonym_of(name),
                    achieved_on=D(int(period), 6, 30),
                )
                for name in people
            )
    except IntegrityError:
        return None  # a person already recorded for this metric and period
    return result


def _run(deal, kind, a, b, c, paths: Paths) -> None:
    programme = deal.programme
    result = None
    if kind == "verify":
        result = _submit(deal, a, b, c)
    elif kind == "people":
        result = _people(deal, a, b)
    elif kind in {"amend", "dispute"}:
        verified = _verified(deal)
        if not verified:
            return
        target = verified[a % len(verified)]
        if kind == "amend":
            stage = ("interim" if target.stage == "final" else "final") if c else None
            if target.from_participants:
                return
            result = outcome_services.result_amend(
                result=target,
                user=deal.evaluator,
                reason="recount",
                stage=stage,
                values=outcome_services.ResultValues(value=Decimal(b)),
            )
        elif not target.reviews.filter(reviewer=deal.funder).exists():
            outcome_services.result_review(
                result=target, user=deal.funder, verdict="disputed", comment="recheck"
            )
    elif kind == "withdraw":
        verified = {result.pk for result in _verified(deal)}
        open_ = [
            review
            for review in ResultReview.objects.filter(
                result__programme=programme, verdict="disputed", withdrawal__isnull=True
            ).order_by("id")
            if review.result_id in verified  # else resolved by an amendment
        ]
        if open_:
            review = open_[a % len(open_)]
            dispute_withdraw(review=review, user=review.reviewer, reason="recount agreed")
    elif kind == "pay":
        payer = ("etat", "departement-13")[a]
        payable = programme_position(programme=programme).payer(payer).payable
        if c or b * 10_000 <= payable:
            try:
                deal.receive(payer, b * 10_000, D(2026, 12, 1), advance=c)
            except ValidationError as refused:
                # An advance past the most the payer could ever owe (payments.advance_limits)
                # is refused, and nothing is written: the history goes on without it.
                assert c and "amount" in refused.message_dict
    if result is not None:
        _both_ways(deal, result.pk, paths)
    # What the ledger shows as due is what the contract's rules make the results worth.
    engine = {p.payer: p.amount for p in outcome_payments_compute(programme=programme).payer_totals}
    for payer in programme_position(programme=programme).payers:
        assert payer.due == engine.get(payer.payer, 0)


def _history(deal, history) -> Paths:
    paths = Paths()
    with transaction.atomic():
        for kind, a, b, c in history:
            _run(deal, kind, a, b, c, paths)
        transaction.set_rollback(True)
    return paths


PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Each deal's histories take most of a minute on a loaded 2-core machine: `make test`, not
# `make test-fast` (the two single cases below stay in it).


@pytest.mark.slow
@PROPERTY
@given(history=st.lists(facts, min_size=3, max_size=12))
def test_a_verification_booked_from_its_cell_books_what_the_engine_books(deal, history):
    _history(deal, history)


@pytest.mark.slow
@PROPERTY
@given(history=st.lists(anything, min_size=3, max_size=12))
def test_so_it_does_beside_disputes_and_payments(deal, history):
    _history(deal, history)


def test_both_paths_are_taken_on_the_tight_deal():
    """The property above would prove nothing if one path were never taken: on the tight
    deal, small counts go through the cell and a count that brings the contract's cap
    within reach goes through the engine."""
    deal = _deal(
        "cell-reach",
        payers=(("etat", "70"), ("departement-13", "30")),
        caps={},
        contract_cap=8_000_000,
        prices=(80_000, 300_000),
    )
    paths = Paths()
    with mock.patch.object(accrual, "cell_due_change", side_effect=paths.spy):
        deal.result("training", "c1", "2026", 10)  # 800,000 verified: far from 8,000,000
        assert (paths.cell, paths.full) == (1, 0)
        deal.result("work", "c1", "2026", 30)  # 9,800,000 verified: the cap is in reach
        assert (paths.cell, paths.full) == (1, 1)
    position = programme_position(programme=deal.programme)
    assert position.payer("etat").due + position.payer("departement-13").due == 8_000_000


def test_a_final_replacing_interims_is_booked_from_its_cell():
    """Interims of 10 and 5 (declared additional), then a final of 12: the final replaces
    both, so the payers owe 3 x 800.00 less, split 70/30, without an engine run."""
    deal = _deal(
        "cell-final",
        payers=(("etat", "70"), ("departement-13", "30")),
        caps={},
        contract_cap=10**12,
        prices=(80_000, 300_000),
    )
    deal.result("training", "c1", "2026", 10, stage="interim")
    deal.result(
        "training", "c1", "2026", 5, stage="interim", additional=True, additional_reason="late"
    )
    paths = Paths()
    final = deal.result("training", "c1", "2026", 12, stage="final", verify=False)
    with transaction.atomic():
        _both_ways(deal, final.pk, paths)
        assert (paths.cell, paths.full) == (1, 0)
        (posting,) = _posted(deal.programme, 0)[-1:]
        assert posting[3] == [
            ("receivable:departement-13", 0, 72_000),
            ("receivable:etat", 0, 168_000),
            ("outcome_income", 240_000, 0),
        ]
