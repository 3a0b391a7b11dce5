"""The schedule document: one builder, for any state of the chain, that every reader calls.

`schedule_document(programme=..., at=None, percent=None)` returns the document of one
scenario — "actual", or a projection at `percent` % of targets — at one state of the
programme's chain: the current head, or the state ending at chain entry `at`. The worker's
recompute, the API, the portal, the `schedule` command and the reports all call it, so a
figure is computed one way only. Nothing here writes.

The inputs of a state (`ScheduleState`):

- the terms: the contract version chained last at or before the state (payments.contract;
  whatever changes the terms chains a new version in its own transaction);
- the money: drawdowns and the money received that met dues (an advance once applied)
  whose ledger transactions are chained at or before the state, less those whose reversal
  is (payments.schedule_money);
- the actual scenario's results: those whose verification is chained at or before the
  state, less those an amendment verified at or before it supersedes;
- a projection's forecast: the metrics' targets and cohorts, and the commitments' dates
  (for capital not yet drawn), as they are now (payments.projections).

`ScheduleVersion` rows are a cache of the default scenarios (actual and
DEFAULT_PROJECTIONS) at a chain head, written by the worker's recompute
(payments.schedules.programme_recompute). A read takes the stored row when its state has
one and otherwise computes the same document, storing nothing: a custom percentage is
always computed. The document is canonical JSON (sorted keys, no spaces, ints for money,
strings for decimals): the same state always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from outcomes.mechanisms import SavingsShareMechanism
from outcomes.models import MeasurementPeriod
from payments.contract import (
    contract_definition,
    contract_terms,
    contract_version_at,
)
from payments.coupon_inputs import schedule_end, tranche_cap, tranche_redemptions
from payments.engine.redemption import Redemption
from payments.engine.schedule import (
    PaymentReceived,
    RepaymentSchedule,
    compute_schedule,
    principal_repaid_on,
)
from payments.engine.terms import Drawdown, Investor, Tranche, TrancheKind
from payments.models import (
    Commitment,
    ScheduleVersion,
)
from payments.outcome_payments import VerifiedInputs, verified_inputs
from payments.projections import forecast_inputs
from payments.redemption_payments import waterfall_payments
from payments.rules import OutcomePaymentPlan, compute_outcome_payments
from payments.rules.programme import PayerShare, ProgrammeRules, payer_splits_from_list
from payments.rules.savings_share import RepaidOn
from payments.rules.variations import Variations
from payments.schedule_json import investors_json, plan_json
from payments.schedule_money import money_as_of
from payments.waterfall_format import step_to_dict, steps_from_list
from sib.chain import GENESIS, canonical_json
from sib.models import ChainEntry, Programme

SCHEDULE_FORMAT = "sib-schedule"
SCHEDULE_FORMAT_VERSION = 1
# The rules that compute a stored document: bump it when a change of the engine, the
# projections or the waterfall changes any figure of a document computed at a head that
# has not moved. Stored rows of an older version are then not served (computed afresh
# until the next recompute stores the new ones), so a cache never outlives its rules.
# 1: until 2026-12-03; 2: projections count the payments already received; 3: an advance
# counts once applied, and the document names the waterfall's figures as proposed.
RULES_VERSION = 3
ACTUAL = "actual"
DEFAULT_PROJECTIONS = (Decimal(0), Decimal(50), Decimal(75), Decimal(100), Decimal(125))


class ScheduleError(ValidationError):
    """The programme's terms or records cannot give a schedule (named in the message)."""


class NoTermsAtState(ScheduleError):
    """The state is older than the programme's first chained contract version."""


@dataclass(frozen=True)
class Scenario:
    name: str
    percent: Decimal | None

    @property
    def is_projection(self) -> bool:
        return self.percent is not None


def scenario_for(percent: Decimal | int | str | None) -> Scenario:
    """Return "actual" for None, else "projection-<pct>" (pct normalised: 75, 62.5)."""
    if percent is None:
        return Scenario(ACTUAL, None)
    value = Decimal(str(percent))
    if not value.is_finite() or value < 0 or value > 1000:
        raise ValidationError(
            {"scenario": gettext("A scenario is a percentage of targets, 0 to 1000.")}
        )
    value = value.normalize()
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return Scenario(f"projection-{value}", value)


def default_scenarios() -> list[Scenario]:
    """Return the scenarios the recompute stores: actual, then the default projections."""
    return [scenario_for(None), *(scenario_for(p) for p in DEFAULT_PROJECTIONS)]


# --- The state --------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleState:
    """Everything a schedule depends on at one state of the programme's chain."""

    programme: Programme
    seq: int
    head: str
    # The contract version in force (None only for a programme whose terms were never
    # chained, from before the services chained them: its current terms are used).
    contract: Any
    terms: dict[str, Any]
    digest: str
    # (tranche key, investor slug) -> drawdowns standing at the state, in (date, id) order.
    drawdowns: dict[tuple[str, str], list[Drawdown]]
    payments: tuple[PaymentReceived, ...]
    # What each of `payments` credited to each payer, in the same order.
    payers: tuple[dict[str, int], ...] = ()


def chain_point(*, programme: Programme, at: int | None = None) -> tuple[int, str]:
    """Return (seq, hash) of the state ending at entry `at`, or of the head (0: no entry)."""
    entries = ChainEntry.objects.filter(programme=programme)
    if at is None:
        point = entries.order_by("-seq").values_list("seq", "hash").first()
    elif at == 0:
        point = None
    else:
        point = entries.filter(seq=at).values_list("seq", "hash").get()
    return point if point is not None else (0, GENESIS)


def schedule_state(*, programme: Programme, at: int | None = None) -> ScheduleState:
    """Return the inputs of the schedule at chain entry `at` (None: the current head)."""
    seq, head = chain_point(programme=programme, at=at)
    return _state_at(programme, seq, head, current=at is None)


def _state_at(programme: Programme, seq: int, head: str, *, current: bool) -> ScheduleState:
    contract = contract_version_at(programme=programme, seq=seq)
    if contract is not None:
        terms, digest = contract_terms(contract), contract.digest
    elif current:
        terms = contract_definition(programme=programme)
        digest = hashlib.sha256(canonical_json(terms).encode()).hexdigest()
    else:
        raise NoTermsAtState(gettext("No contract terms were chained at this ledger state."))
    drawdowns, payments, payers = money_as_of(programme=programme, seq=seq)
    return ScheduleState(programme, seq, head, contract, terms, digest, drawdowns, payments, payers)


# --- From the terms to the engines ------------------------------------------------------


def _tranches(
    state: ScheduleState, inputs: VerifiedInputs, *, assume_fully_drawn: bool
) -> tuple[Tranche, ...]:
    """Return the engine tranches of the terms with the state's drawdowns.

    With `assume_fully_drawn` (projections), a lender with no drawdown yet is taken as
    drawn in full on its commitment date. A coupon's rates are measured from `inputs`.
    """
    committed_on: dict[tuple[str, str], date] = {}
    if assume_fully_drawn:
        committed_on = {
            (tranche, investor): on
            for tranche, investor, on in Commitment.objects.filter(
                programme=state.programme
            ).values_list("tranche__key", "investor__slug", "committed_on")
        }
    tranches = []
    for item in state.terms["tranches"]:
        kind = TrancheKind(item["kind"])
        investors = []
        for investor, amount in item["commitments"]:
            drawn = tuple(state.drawdowns.get((item["id"], investor), ()))
            if assume_fully_drawn and not drawn and kind is not TrancheKind.GUARANTEE:
                drawn = (Drawdown(committed_on[(item["id"], investor)], amount),)
            investors.append(Investor(investor, drawn, amount))
        tranches.append(
            Tranche(
                id=item["id"],
                kind=kind,
                investors=tuple(investors),
                cap=tranche_cap(state.programme, state.terms, item, inputs.banded_rate_results),
                protects=item["protects"],
                cover_percent=(
                    Decimal(item["cover_percent"]) if item.get("cover_percent") else None
                ),
                cover_limit=item.get("cover_limit"),
            )
        )
    return tuple(tranches)


def _dates(terms: dict[str, Any]) -> tuple[date | None, date, date | None]:
    """Return (actual end, projection end, termination date) of the terms.

    Return stops and guarantees are called at termination or closure only; projections
    run to the programme's end (or termination) date.
    """
    programme = terms["programme"]
    end = date.fromisoformat(programme["end_date"])
    termination = programme["termination_date"]
    terminated_on = None
    if programme["status"] == "terminated" and termination:
        terminated_on = date.fromisoformat(termination)
    if programme["status"] == "terminated":
        actual_end: date | None = terminated_on
    elif programme["status"] == "closed":
        actual_end = end
    else:
        actual_end = None
    return actual_end, terminated_on or end, terminated_on


def _rules(terms: dict[str, Any]) -> ProgrammeRules:
    data = terms["rules"]
    # The payers' split is checked by activation, not here: a draft's terms may not make
    # 100 % yet and still give its (so far empty) schedule. from_dict checks the rest.
    payers = tuple(
        PayerShare.from_dict(p, f"rules.payers[{i}]") for i, p in enumerate(data["payers"])
    )
    whole = [{"payer": "-", "share_percent": "100"}]
    rules = ProgrammeRules.from_dict({**data, "payers": whole, "payer_splits": None}, "rules")
    splits = payer_splits_from_list(
        data.get("payer_splits"), [p.payer for p in payers], "rules.payer_splits"
    )
    return replace(rules, payers=payers, payer_splits=splits)


def _plan(
    terms: dict[str, Any], inputs: VerifiedInputs, repaid_on: date | None = None
) -> OutcomePaymentPlan:
    """Return the plan; `repaid_on` is the principal's repayment date, under "repaid"."""
    rules = _rules(terms)
    needs_target = any(isinstance(m.mechanism, SavingsShareMechanism) for m in rules.metrics)
    target: int | RepaidOn | None = terms["savings_repayment_target"] if needs_target else None
    if terms.get("savings_switch") == "repaid":
        target = RepaidOn(repaid_on)
    return compute_outcome_payments(
        rules=rules,
        participant_outcomes=inputs.participant_outcomes,
        aggregate_results=inputs.aggregate_results,
        comparison_results=inputs.comparison_results,
        target_results=inputs.target_results,
        savings_results=inputs.savings_results,
        unpriced_results=inputs.unpriced_results,
        difference_results=inputs.difference_results,
        banded_rate_results=inputs.banded_rate_results,
        repayment_target=target,
        terminated_on=_dates(terms)[2],
        variations=Variations.from_terms(terms.get("variations", [])),
    )


# --- The document -----------------------------------------------------------------------


def schedule_compute(
    state: ScheduleState, scenario: Scenario
) -> tuple[dict[str, Any], OutcomePaymentPlan]:
    """Compute one scenario's document at a state, with its outcome payment plan."""
    programme = state.programme
    actual_end, projection_end, _ = _dates(state.terms)
    steps = steps_from_list(state.terms["waterfall"])
    switch_on_repayment = state.terms.get("savings_switch") == "repaid"
    repaid_on = None
    if scenario.percent is None:
        inputs = verified_inputs(programme=programme, seq=state.seq)
        tranches = _tranches(state, inputs, assume_fully_drawn=False)
        end_date = schedule_end(state.terms, actual_end)
        redeem = tranche_redemptions(programme, state.terms, inputs.banded_rate_results, end_date)
        # The money received does not depend on the plan: the repayment date is read
        # from the schedule first, then the savings results are priced with it.
        schedule = _run(tranches, state.payments, steps, end_date, redeem)
        if schedule.redemptions:
            # What settles a redemption was paid out by its redemption line, not again: all
            # paid ahead kept out, then bounded by the redemption that gives (issue 11).
            ahead = waterfall_payments(state, schedule.redemptions, bounded=False)
            bound = _run(tranches, ahead, steps, end_date, redeem).redemptions
            paid = waterfall_payments(state, bound)
            schedule = _run(tranches, paid, steps, end_date, redeem)
        if switch_on_repayment:
            repaid_on = principal_repaid_on(schedule, tranches)
        plan = _plan(state.terms, inputs, repaid_on)
        plan_data = plan_json(plan, inputs.repeats)
    else:
        forecast = forecast_inputs(programme=programme, percent=scenario.percent)
        tranches = _tranches(state, forecast, assume_fully_drawn=True)
        end_date = schedule_end(state.terms, projection_end)
        redeem = tranche_redemptions(programme, state.terms, forecast.banded_rate_results, end_date)
        plan = _plan(state.terms, forecast)
        schedule = _run(tranches, _projected_payments(state, plan), steps, end_date, redeem)
        if switch_on_repayment:
            # The forecast payments depend on the plan. First pass: every result at the
            # first share gives the repayment date D. Second pass: results after D at the
            # second share. A payment is dated on or after its results, so the payments
            # up to D are the same in both passes and D is repaid in the second too.
            repaid_on = principal_repaid_on(schedule, tranches)
            plan = _plan(state.terms, forecast, repaid_on)
            schedule = _run(tranches, _projected_payments(state, plan), steps, end_date, redeem)
        plan_data = plan_json(plan, real_ids=False)
    document = {
        "chain_head": state.head,
        "contract_version": state.digest,
        "currency": programme.currency,
        "end_date": end_date.isoformat() if end_date else None,
        "format": SCHEDULE_FORMAT,
        "investors": investors_json(schedule),
        "outcome_payments": plan_data,
        "percent": None if scenario.percent is None else str(scenario.percent),
        "programme": programme.slug,
        "projection": scenario.is_projection,
        "scenario": scenario.name,
        "schedule": schedule.to_json_dict(),
        "version": SCHEDULE_FORMAT_VERSION,
        "waterfall": [step_to_dict(step) for step in steps],
    }
    if switch_on_repayment:
        document["savings_repaid_on"] = repaid_on.isoformat() if repaid_on else None
    if state.terms.get("variations"):
        # Only a varied programme's document lists them: every other document, stored or
        # not, keeps its bytes (payments.contract adds the terms the same way).
        document["variations"] = state.terms["variations"]
    return document, plan


def _run(
    tranches: tuple[Tranche, ...],
    payments: Sequence[PaymentReceived],
    steps: Sequence[Any],
    end_date: date | None,
    redemptions: Sequence[Redemption] = (),
) -> RepaymentSchedule:
    try:
        return compute_schedule(
            tranches=tranches,
            payments=payments,
            steps=steps,
            end_date=end_date,
            redemptions=redemptions,
        )
    except ValueError as exc:
        raise ScheduleError(
            gettext("The programme's terms give no schedule: %(reason)s") % {"reason": exc}
        ) from exc


def _projected_payments(
    state: ScheduleState, plan: OutcomePaymentPlan
) -> tuple[PaymentReceived, ...]:
    """Return the payments a projection runs on: those received, then the forecast's.

    The money already in counts whatever the percentage (a projection at 0 % is what was
    received). Forecast payments are received on their period's end date; only those
    dated after the last payment received are added, so a period paid already is not
    counted twice.
    """
    last = max((p.on for p in state.payments), default=None)
    ends = dict(
        MeasurementPeriod.objects.filter(programme=state.programme).values_list("code", "end_date")
    )
    by_date: dict[date, int] = defaultdict(int)
    for line in plan.lines:
        on = ends[line.period]
        if last is None or on > last:
            by_date[on] += line.amount
    forecast = [PaymentReceived(on, amount) for on, amount in sorted(by_date.items()) if amount]
    return (*state.payments, *forecast)


def schedule_document(
    *, programme: Programme, at: int | None = None, percent: Decimal | None = None
) -> dict[str, Any]:
    """Return the schedule document of one scenario at chain entry `at` (None: the head).

    The stored document when the recompute stored one at that state; otherwise computed,
    and not stored. Raises NoTermsAtState for a state before the first contract version.
    """
    return schedule_documents(programme=programme, at=at, percents=(percent,))[0]


def schedule_documents(
    *, programme: Programme, at: int | None = None, percents: Sequence[Decimal | None]
) -> list[dict[str, Any]]:
    """Return the documents of several scenarios of one state, in order (as above).

    The state is resolved and read once for all of them.
    """
    scenarios = [scenario_for(percent) for percent in percents]
    seq, head = chain_point(programme=programme, at=at)
    stored = dict(
        ScheduleVersion.objects.filter(
            programme=programme,
            chain_head=head,
            scenario__in=[s.name for s in scenarios],
            rules_version=RULES_VERSION,
        ).values_list("scenario", "content")
    )
    state: ScheduleState | None = None
    documents = []
    for scenario in scenarios:
        if scenario.name in stored:
            documents.append(json.loads(stored[scenario.name]))
            continue
        if state is None:
            # Every input is read as of `seq`: a head that moves meanwhile changes nothing.
            state = _state_at(programme, seq, head, current=at is None)
        documents.append(schedule_compute(state, scenario)[0])
    return documents


def document_bytes(document: dict[str, Any]) -> str:
    return canonical_json(document)
