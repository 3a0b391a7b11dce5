"""Gather what an evaluation report prints from the ledger, as of one chain entry.

A report describes one *state* of the programme: the first `seq` entries of its hash
chain. Every chained fact (verified results, decisions, amendments, funder reviews, ledger
transactions) counts only if its chain entry is at or before `seq`, so a report built a
month later for the same chain head prints the same numbers and the same bytes. What is
not chained (the programme's name, its parties, metric definitions, commitments) is read
as it is now.

Ledger figures, and the postings they are read from (payments.ledger, sign convention):

- outcome payments paid, per payer: credits to the payer's receivable in
  `payment_received` transactions, net of their reversals;
- outcome payments due: what payers owe, the positive debit balance of their receivables;
- capital drawn: credits to investor principal in `drawdown` transactions, net of their
  reversals; principal repaid: drawn minus the principal still owed (the account balance);
- return paid: debits to investor return accounts, net of reversals.

The renderer in reports.rendering only lays the result out; nothing here knows about PDF.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from payments.position import programme_position
from reports import document as doc
from reports.models import Edition, Report, ReportStatus
from reports.rendering.formatting import (
    format_money,
    format_month,
    format_multiple,
    format_percent,
)
from reports.rendering.labels import label
from reports.selectors_schedules import ScheduleFigures, StateSchedules, schedules_as_of
from sib.chain import GENESIS
from sib.models import ChainEntry, Programme, User
from sib.privacy import edition_audience, log_for

# Chain kinds this module reads (registered by outcomes.chain_kinds and payments.ledger).
DECISION = "outcomes.decision"
AMENDMENT = "outcomes.amendment"
REVIEW = "outcomes.review"
LEDGER = "ledger_transaction"

_PARTY_ROLES = {
    "outcome_payer": "payer",
    "service_provider": "provider",
    "evaluator": "evaluator",
    "intermediary": "intermediary",
    "investor": "investor",
}


def mask_threshold_setting() -> int:
    """Return the public edition's small-count threshold (REPORT_MASK_THRESHOLD, default 10)."""
    return settings.REPORT_MASK_THRESHOLD


# --- the state a report covers ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainState:
    """The first `seq` entries of a programme's chain, ending at `head`, dated `on`."""

    seq: int
    head: str
    on: date


def chain_state(*, programme: Programme, head: str | None = None) -> ChainState:
    """Return the current state of the programme's chain, or the state ending at `head`.

    Raises ChainEntry.DoesNotExist when `head` is not a state of this programme.
    """
    entries = ChainEntry.objects.filter(programme=programme)
    entry: ChainEntry | None = None
    if head is not None and head != GENESIS:
        entry = entries.get(hash=head)
    elif head is None:
        entry = entries.order_by("-seq").first()
    if entry is None:
        # An empty chain: the state of a programme just set up, dated when it was created.
        return ChainState(0, GENESIS, timezone.localdate(programme.created_at))
    return ChainState(entry.seq, entry.hash, timezone.localdate(entry.created_at))


def _chained_ids(programme_id: int, seq: int, kinds: Iterable[str]) -> dict[str, list[int]]:
    rows = ChainEntry.objects.filter(
        programme_id=programme_id, seq__lte=seq, kind__in=list(kinds)
    ).values_list("kind", "object_id")
    out: dict[str, list[int]] = defaultdict(list)
    for kind, object_id in rows:
        out[kind].append(int(object_id))
    return out


# --- the report ------------------------------------------------------------------------


def report_data(
    *,
    programme: Programme,
    edition: str,
    language: str,
    state: ChainState,
    mask_threshold: int | None = None,
) -> doc.ReportData:
    """Return everything the report prints for `programme` as of `state`."""
    threshold = mask_threshold_setting() if mask_threshold is None else mask_threshold
    outcomes = _outcomes_as_of(programme, state.seq, language)
    money = _ledger_as_of(programme, state.seq, language)
    parties, guarantor_ids = _parties(programme)
    investors = _investor_repayment(programme, money, guarantor_ids)
    summary = doc.SummaryFigures(
        participants_enrolled=outcomes.enrolled,
        outcomes_verified=outcomes.verified_count,
        outcome_payments_paid=money.paid_total,
        outcome_payments_due=money.due_total,
        contract_cap=programme.contract_cap,
    )
    manager = None
    if edition == Edition.MANAGER:
        manager = _manager_data(programme, state, guarantor_ids, money, language)
    return doc.ReportData(
        programme=doc.Programme(
            name=programme.name,
            slug=programme.slug,
            period_start=programme.start_date,
            period_end=programme.end_date,
            currency=programme.currency,
            parties=parties,
        ),
        edition=edition,  # type: ignore[arg-type]
        language=language,  # type: ignore[arg-type]
        report_date=state.on,
        summary=summary,
        metrics=outcomes.sections,
        payments=money.payment_rows,
        investor_repayment=investors,
        verification_log=log_for(edition_audience(edition), outcomes.log),
        chain_head=doc.ChainHead(hash=state.head, entry_count=state.seq),
        manager=manager,
        mask_threshold=threshold,
        methodology_note=programme.target_population,
    )


def _parties(programme: Programme) -> tuple[tuple[doc.Party, ...], frozenset[int]]:
    """Return the programme's parties, guarantors told apart, and the guarantors' ids."""
    from payments.models import Commitment, TrancheKind

    kinds: dict[int, set[str]] = defaultdict(set)
    for investor_id, kind in Commitment.objects.filter(programme=programme).values_list(
        "investor_id", "tranche__kind"
    ):
        kinds[investor_id].add(kind)
    guarantors = frozenset(i for i, k in kinds.items() if k == {TrancheKind.GUARANTEE.value})
    parties = []
    for party in programme.parties.select_related("organisation").order_by(
        "role", "organisation__name", "id"
    ):
        role = _PARTY_ROLES.get(party.role)
        if role is None:
            continue
        if role == "investor" and party.organisation_id in guarantors:
            role = "guarantor"
        share = None
        if party.payer_share is not None:
            share = int((party.payer_share * 100).to_integral_value())
        parties.append(doc.Party(name=party.organisation.name, role=role, share_bp=share))  # type: ignore[arg-type]
    return tuple(parties), guarantors


# --- outcomes --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Outcomes:
    sections: tuple[doc.MetricSection, ...]
    log: tuple[doc.VerificationEntry, ...]
    verified_count: int
    enrolled: int


def _outcomes_as_of(programme: Programme, seq: int, lang: str) -> _Outcomes:
    """Return metric sections and the verification log as of chain entry `seq`."""
    from outcomes.models import Cohort, Metric, Result, ResultDecision, ResultReview, Unit

    chained = _chained_ids(programme.pk, seq, (DECISION, AMENDMENT, REVIEW))
    decisions = list(
        ResultDecision.objects.filter(id__in=chained[DECISION])
        .select_related("decided_by", "result__submitted_by", "result__cohort", "result__period")
        .order_by("id")
    )
    amendments = list(
        Result.objects.filter(id__in=chained[AMENDMENT]).select_related(
            "submitted_by", "cohort", "period"
        )
    )
    reviews = list(
        ResultReview.objects.filter(id__in=chained[REVIEW]).select_related(
            "reviewer", "result__cohort", "result__period"
        )
    )
    # A verified result stops counting once an amendment of it is verified (in this state).
    verified = {d.result_id: d.result for d in decisions if d.decision == "verified"}
    superseded = {r.amends_id for r in verified.values() if r.amends_id is not None}
    current = [r for rid, r in verified.items() if rid not in superseded]

    metrics = list(Metric.objects.filter(programme=programme).order_by("code"))
    metric_codes = {m.pk: m.code for m in metrics}
    cohorts = {c.pk: c for c in Cohort.objects.filter(programme=programme)}
    by_metric: dict[int, list[Any]] = defaultdict(list)
    for result in current:
        by_metric[result.metric_id].append(result)
    sections = []
    verified_count = 0
    for metric in metrics:
        results = sorted(
            by_metric.get(metric.pk, []),
            key=lambda r: (r.period.start_date, r.period.code, r.cohort.code, r.stage, r.pk),
        )
        mechanism = metric.mechanism or {}
        kind = mechanism.get("kind", "")
        rows: list[doc.CohortResult] = []
        comparisons: list[doc.ComparisonResult] = []
        if kind == "comparison":
            comparisons = [_comparison(r, mechanism) for r in _latest_per_cohort(results)]
        elif metric.unit == Unit.PARTICIPANT_OUTCOME:
            for r in results:
                achieved = int(r.value)
                verified_count += achieved
                rows.append(
                    doc.CohortResult(
                        cohort=r.cohort.name,
                        period=r.period.name,
                        status=r.stage,
                        achieved=achieved,
                        target=_target(metric, cohorts[r.cohort_id], mechanism),
                    )
                )
        sections.append(
            doc.MetricSection(
                code=metric.code,
                name=metric.name,
                definition=metric.definition,
                mechanism=_mechanism_text(mechanism, programme.currency, lang),
                unit_price=mechanism.get("price") if kind == "rate_card" else None,
                results=tuple(rows),
                comparisons=tuple(comparisons),
            )
        )

    log = _verification_log(decisions, amendments, reviews, metric_codes)
    enrolled = sum(c.planned_size or 0 for c in cohorts.values())
    return _Outcomes(tuple(sections), log, verified_count, enrolled)


def _latest_per_cohort(results: list[Any]) -> list[Any]:
    latest: dict[int, Any] = {}
    for r in results:  # sorted by period: the last one per cohort wins
        latest[r.cohort_id] = r
    return sorted(latest.values(), key=lambda r: r.cohort.code)


def _target(metric: Any, cohort: Any, mechanism: dict[str, Any]) -> int:
    """Return the count a cohort is expected to reach: the metric's target, else the deal's."""
    if metric.target_value is not None:
        return int(metric.target_value)
    if mechanism.get("kind") == "target" and cohort.planned_size:
        return math.ceil(Decimal(str(mechanism["target_rate"])) * cohort.planned_size)
    return 0


def _rate(value: Decimal) -> Decimal:
    # Rates are fractions (0.45) in the mechanisms; a file may give percentages (45).
    return value / 100 if value > 1 else value


def _comparison(result: Any, mechanism: dict[str, Any]) -> doc.ComparisonResult:
    treated_size = result.sample_size or 0
    comparison_size = result.comparison_sample_size or 0
    threshold = mechanism.get("cohort_threshold") or mechanism.get("pooled_threshold") or "0"
    return doc.ComparisonResult(
        cohort=result.cohort.name,
        treated_successes=int((_rate(result.value) * treated_size).to_integral_value()),
        treated_size=treated_size,
        comparison_successes=int(
            (_rate(result.comparison_value or Decimal(0)) * comparison_size).to_integral_value()
        ),
        comparison_size=comparison_size,
        threshold_bp=int((Decimal(str(threshold)) * 10_000).to_integral_value()),
        threshold_basis="relative",
        direction=_direction(mechanism),
    )


def _direction(mechanism: dict[str, Any]) -> Any:
    # Comparison mechanisms name their direction (outcomes.definition checks it).
    if mechanism.get("direction") == "lower_is_better":
        return "lower_is_better"
    return "higher_is_better"


_MECHANISM_TEXT = {
    "fr": {
        "rate_card": "Grille tarifaire : {price} par résultat vérifié.",
        "comparison": (
            "Comparaison avec un groupe témoin : paiement si l’amélioration relative atteint "
            "{threshold}."
        ),
        "comparison_lower": (
            "Comparaison avec un groupe témoin, un taux plus bas étant meilleur : paiement si "
            "le taux de la cohorte est inférieur à celui du groupe témoin d’au moins "
            "{threshold} (en relatif)."
        ),
        "target": "Objectif : {amount} par cohorte atteignant un taux de {rate}.",
        "savings_share": "Partage des coûts évités : {before} puis {after}.",
        "other": "Mécanisme défini au contrat.",
    },
    "en": {
        "rate_card": "Rate card: {price} per verified outcome.",
        "comparison": (
            "Comparison with a counterfactual group: pays when the relative improvement "
            "reaches {threshold}."
        ),
        "comparison_lower": (
            "Comparison with a counterfactual group, a lower rate being better: pays when the "
            "cohort's rate is below the comparison group's by at least {threshold} (relative)."
        ),
        "target": "Target: {amount} per cohort reaching a rate of {rate}.",
        "savings_share": "Share of costs avoided: {before}, then {after}.",
        "other": "Mechanism as defined in the contract.",
    },
}


def _mechanism_text(mechanism: dict[str, Any], currency: str, lang: str) -> str:
    texts = _MECHANISM_TEXT[lang]
    kind = mechanism.get("kind", "")
    try:
        if kind == "rate_card":
            return texts[kind].format(price=format_money(int(mechanism["price"]), currency, lang))
        if kind == "comparison":
            threshold = mechanism.get("cohort_threshold") or mechanism.get("pooled_threshold")
            if _direction(mechanism) == "lower_is_better":
                kind = "comparison_lower"
            return texts[kind].format(
                threshold=format_percent(Decimal(str(threshold)), lang, places=1)
            )
        if kind == "target":
            return texts[kind].format(
                amount=format_money(int(mechanism["amount"]), currency, lang),
                rate=format_percent(Decimal(str(mechanism["target_rate"])), lang, places=1),
            )
        if kind == "savings_share":
            return texts[kind].format(
                before=format_percent(Decimal(str(mechanism["share_before_percent"])) / 100, lang),
                after=format_percent(Decimal(str(mechanism["share_after_percent"])) / 100, lang),
            )
    except (KeyError, ArithmeticError, ValueError, TypeError):
        pass
    return texts["other"]


def _actor(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _verification_log(
    decisions: list[Any], amendments: list[Any], reviews: list[Any], metrics: dict[int, str]
) -> tuple[doc.VerificationEntry, ...]:
    """Return who submitted, verified, amended, accepted or disputed which result, when."""
    local = timezone.localdate
    entries: list[tuple[Any, int, doc.VerificationEntry]] = []

    def add(when: Any, order: int, result: Any, action: str, actor: Any, note: str = "") -> None:
        entry = doc.VerificationEntry(
            on=local(when),
            metric=metrics.get(result.metric_id, ""),
            cohort=result.cohort.name,
            period=result.period.name,
            action=action,  # type: ignore[arg-type]
            actor=_actor(actor),
            note=note,
        )
        entries.append((when, order, entry))

    amended_ids = {a.pk for a in amendments}
    for d in decisions:
        r = d.result
        if r.pk not in amended_ids:  # an amendment's submission is logged as "amended"
            add(r.submitted_at, 0, r, "submitted", r.submitted_by)
        add(d.decided_at, 1, r, d.decision, d.decided_by, d.comment)
    for a in amendments:
        add(a.submitted_at, 0, a, "amended", a.submitted_by, a.amendment_reason)
    for review in reviews:
        add(review.reviewed_at, 2, review.result, review.verdict, review.reviewer, review.comment)
    entries.sort(key=lambda item: (item[0], item[1]))
    return tuple(entry for _, _, entry in entries)


# --- money -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Money:
    payment_rows: tuple[doc.PaymentRow, ...]
    paid_total: int
    due_total: int
    drawn: int
    principal_outstanding: int
    return_paid: int
    # Paid out by distribution transactions (credits to programme cash, net of reversals).
    distributed: int = 0


# Legs of the programme's ledger transactions chained at or before %(seq)s, each with the
# kind of the movement it belongs to (a reversal counts as the kind it reverses). The chained
# ids are materialised first and joined on the transaction's primary key: joining the chain's
# text object_id to the id directly let PostgreSQL, on fresh statistics, pick a nested loop
# over every chain entry per transaction (1.3 s for 840 transactions instead of 10 ms).
_STATE_LEGS = """
    WITH chained AS MATERIALIZED (
        SELECT object_id::bigint AS id FROM sib_chain_entry
         WHERE programme_id = %(programme_id)s AND kind = 'ledger_transaction'
           AND seq <= %(seq)s
    )
    SELECT l.account_id, l.debit, l.credit, t.occurred_on,
           coalesce(o.kind, t.kind) AS base_kind, t.kind = 'reversal' AS is_reversal
      FROM chained
      JOIN payments_ledger_transaction t ON t.id = chained.id
      LEFT JOIN payments_ledger_transaction o ON o.id = t.reverses_id
      JOIN payments_leg l ON l.transaction_id = t.id
     WHERE t.programme_id = %(programme_id)s
"""


def _ledger_as_of(programme: Programme, seq: int, lang: str) -> _Money:
    """Return payments by month and payer, and the money totals, as of chain entry `seq`.

    The totals are the programme's position (payments.position), the same figures every
    page and API answer shows; only the month-by-payer breakdown is read here.
    """
    position = programme_position(programme=programme, seq=seq)
    query = f"""
        SELECT a.organisation_id, date_trunc('month', s.occurred_on)::date,
               sum(s.credit) - sum(s.debit)
          FROM ({_STATE_LEGS}) s JOIN payments_account a ON a.id = s.account_id
         WHERE a.kind IN ('payer_receivable', 'payer_advance')
           AND s.base_kind = 'payment_received'
         GROUP BY 1, 2
    """  # noqa: S608 (constant text only)
    with connection.cursor() as cursor:
        cursor.execute(query, {"programme_id": programme.pk, "seq": seq})
        paid = {(month, org): int(amount) for org, month, amount in cursor.fetchall()}
    names = _organisation_names({org for _, org in paid})
    payment_rows = tuple(
        doc.PaymentRow(period=format_month(month, lang), payer=names[org], amount=amount)
        for (month, org), amount in sorted(paid.items(), key=lambda i: (i[0][0], names[i[0][1]]))
        if amount
    )
    totals = position.totals
    return _Money(
        payment_rows=payment_rows,
        paid_total=totals["received"],
        due_total=totals["outstanding"],
        drawn=totals["drawn"],
        principal_outstanding=totals["principal_outstanding"],
        return_paid=totals["return_paid"],
        distributed=totals["distributed"],
    )


def _organisation_names(ids: Iterable[int]) -> dict[int, str]:
    from sib.models import Organisation

    return dict(Organisation.objects.filter(id__in=list(ids)).values_list("id", "name"))


def _investor_repayment(
    programme: Programme, money: _Money, guarantors: frozenset[int]
) -> doc.InvestorRepayment:
    from payments.models import Commitment, TrancheKind

    commitments = Commitment.objects.filter(programme=programme).exclude(
        tranche__kind=TrancheKind.GUARANTEE
    )
    investors = {c.investor_id for c in commitments.only("investor_id")}
    if not investors:
        investors = {
            p.organisation_id
            for p in programme.parties.filter(role="investor")
            if p.organisation_id not in guarantors
        }
    committed = sum(c.amount for c in commitments.only("amount"))
    principal_repaid = money.drawn - money.principal_outstanding
    return doc.InvestorRepayment(
        investor_count=len(investors),
        capital_committed=committed,
        capital_drawn=money.drawn,
        principal_repaid=principal_repaid,
        return_paid=money.return_paid,
        category=repayment_category(
            drawn=money.drawn, principal_repaid=principal_repaid, return_paid=money.return_paid
        ),
    )


def repayment_category(*, drawn: int, principal_repaid: int, return_paid: int) -> Any:
    """Return the public-data category: none, some, principal repaid, or with a return."""
    if principal_repaid <= 0 and return_paid <= 0:
        return "no_repayment"
    if principal_repaid < drawn:
        return "some_repayment"
    if return_paid <= 0:
        return "principal_repaid"
    return "positive_return"


# --- manager edition -------------------------------------------------------------------


def _manager_data(
    programme: Programme, state: ChainState, guarantors: frozenset[int], money: _Money, lang: str
) -> doc.ManagerData:
    """Return each investor's position and dated movements, the waterfall and the scenarios.

    Positions, metrics and the dated schedule come from the ledger's postings as of the
    state; the waterfall and the projections from the schedule documents of that state
    (reports.selectors_schedules: stored at its chain head, else computed from it).
    """
    from payments.engine.metrics import dpi, moic, xirr
    from payments.models import Commitment

    seq = state.seq

    commitments = list(
        Commitment.objects.filter(programme=programme)
        .select_related("investor", "tranche")
        .order_by("tranche__priority", "investor__name", "id")
    )
    query = f"""
        SELECT a.commitment_id, a.kind, s.occurred_on, s.base_kind, s.is_reversal,
               sum(s.debit), sum(s.credit)
          FROM ({_STATE_LEGS}) s JOIN payments_account a ON a.id = s.account_id
         WHERE a.commitment_id IS NOT NULL
         GROUP BY 1, 2, 3, 4, 5
         ORDER BY 3, 1
    """  # noqa: S608 (constant text only)
    with connection.cursor() as cursor:
        cursor.execute(query, {"programme_id": programme.pk, "seq": seq})
        rows = cursor.fetchall()
    # Per commitment and date: drawn, principal repaid, return paid.
    moves: dict[int, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for commitment_id, kind, on, base_kind, is_reversal, debit, credit in rows:
        debit, credit = int(debit), int(credit)
        cell = moves[commitment_id][on]
        if kind == "investor_principal":
            if base_kind == "drawdown":
                cell[0] += credit - debit
            else:
                cell[1] += debit - credit
        elif kind == "investor_return":
            cell[2] += (credit - debit) if is_reversal else debit

    schedule: list[doc.ScheduleRow] = []
    metrics: list[doc.InvestorMetrics] = []
    for c in commitments:
        if c.investor_id in guarantors and c.tranche.kind == "guarantee":
            continue
        flows: list[tuple[date, int]] = []
        outstanding = drawn_total = distributed = 0
        for on, (drawn, principal, ret) in sorted(moves.get(c.pk, {}).items()):
            outstanding += drawn - principal
            drawn_total += drawn
            distributed += principal + ret
            flows.append((on, principal + ret - drawn))
            schedule.append(
                doc.ScheduleRow(
                    investor=c.investor.name,
                    on=on,
                    drawn=drawn,
                    principal_repaid=principal,
                    return_paid=ret,
                    outstanding=outstanding,
                )
            )
        rate = xirr(flows) if flows else None
        metrics.append(
            doc.InvestorMetrics(
                investor=c.investor.name,
                tranche=c.tranche.name,
                committed=c.amount,
                drawn=drawn_total,
                distributed=distributed,
                xirr=rate.value if rate is not None else None,
                moic=moic(drawn=drawn_total, returned=distributed).value,
                dpi=dpi(drawn=drawn_total, returned=distributed).value,
            )
        )
    schedule.sort(key=lambda row: (row.investor, row.on))
    waterfall: tuple[doc.WaterfallStep, ...] = ()
    totals = None
    scenarios: tuple[doc.ScenarioProjection, ...] = ()
    schedules = schedules_as_of(programme=programme, seq=seq, head=state.head)
    if schedules is not None:
        waterfall, totals = _waterfall(programme, schedules, money, lang)
        scenarios = tuple(_scenario(s, lang) for s in schedules.projections)
    return doc.ManagerData(
        waterfall=waterfall,
        schedule=tuple(schedule),
        investor_metrics=tuple(metrics),
        scenarios=scenarios,
        waterfall_totals=totals,
    )


def _waterfall(
    programme: Programme, schedules: StateSchedules, money: _Money, lang: str
) -> tuple[tuple[doc.WaterfallStep, ...], doc.WaterfallTotals]:
    """Return each step with what it was allocated, and how the payments were shared out."""
    from payments.models import Tranche
    from sib.models import Organisation

    actual = schedules.actual
    tranche_names = dict(Tranche.objects.filter(programme=programme).values_list("key", "name"))
    recipients = {
        str(step["recipient"]) for step in actual.steps if step.get("recipient") is not None
    }
    org_names = dict(
        Organisation.objects.filter(slug__in=sorted(recipients)).values_list("slug", "name")
    )
    steps = []
    for index, (step, allocated) in enumerate(zip(actual.steps, actual.by_step, strict=True)):
        if step["kind"] == "residual_to_payer":
            continue  # what is left is the residual row below the steps
        text = _step_text(step, schedules.tranches, tranche_names, org_names, programme, lang)
        cap = step.get("limit") if step["kind"] == "recycle" else step.get("cap")
        steps.append(doc.WaterfallStep(order=index + 1, label=text, allocated=allocated, cap=cap))
    distributed = sum(actual.by_step)
    totals = doc.WaterfallTotals(
        received=actual.received,
        distributed=distributed,
        residual=actual.residual,
        recorded=money.distributed,
        guarantee_called=actual.guarantee_called,
    )
    return tuple(steps), totals


def _step_text(
    step: dict[str, Any],
    tranches: dict[str, tuple[str, str | None, Decimal | None]],
    tranche_names: dict[str, str],
    org_names: dict[str, str],
    programme: Programme,
    lang: str,
) -> str:
    """Return a waterfall step as printed, e.g. "Return — Senior (capped at 5% a year)"."""
    kind = step["kind"]
    tranche = str(step.get("tranche", ""))
    recipient = str(step.get("recipient", ""))
    values = {
        "tranche": tranche_names.get(tranche, tranche),
        "recipient": org_names.get(recipient, recipient),
    }
    if "share" in step:
        values["share"] = format_percent(Decimal(step["share"]), lang)
    if kind == "fees":
        key = "step_fees_share" if "share" in step else "step_fees_amount"
        if "amount" in step:
            values["amount"] = format_money(int(step["amount"]), programme.currency, lang)
        return label(lang, key).format(**values)
    if kind == "return":
        _, cap_kind, cap_value = tranches.get(tranche, ("", None, None))
        values["cap"] = _cap_text(cap_kind, cap_value, lang)
    return label(lang, f"step_{kind}").format(**values)


def _cap_text(kind: str | None, value: Decimal | None, lang: str) -> str:
    if kind is None or value is None:
        return label(lang, "cap_none")
    if kind == "multiple":
        return label(lang, "cap_multiple").format(multiple=format_multiple(value, lang))
    return label(lang, f"cap_{kind}").format(rate=format_percent(value, lang))


def _scenario(figures: ScheduleFigures, lang: str) -> doc.ScenarioProjection:
    """Return one projection's totals for all lenders together."""
    from payments.engine.metrics import moic, xirr

    assert figures.percent is not None
    percent = format_percent(figures.percent / 100, lang, places=0)
    returned = figures.principal_repaid + figures.guarantee_received
    rate = xirr(list(figures.flows)) if figures.flows else None
    return doc.ScenarioProjection(
        name=percent,
        assumptions=label(lang, "scenario_assumption").format(percent=percent),
        outcome_payments=figures.outcome_payments or 0,
        principal_repaid=figures.principal_repaid,
        return_paid=figures.return_paid,
        category=repayment_category(
            drawn=figures.drawn, principal_repaid=returned, return_paid=figures.return_paid
        ),
        moic=moic(drawn=figures.drawn, returned=returned + figures.return_paid).value,
        xirr=rate.value if rate is not None else None,
        drawn=figures.drawn,
        guarantee_paid=figures.guarantee_received,
    )


# --- reports ---------------------------------------------------------------------------


def report_list(*, programme: Programme, editions: Iterable[str]) -> QuerySet[Report]:
    """Return the programme's reports of the given editions, newest first."""
    return Report.objects.filter(programme=programme, edition__in=list(editions)).select_related(
        "programme"
    )


def report_get(*, programme: Programme, report_id: int, with_pdf: bool = False) -> Report:
    """Return one of the programme's reports (Report.DoesNotExist for another's)."""
    manager = Report.objects.with_pdf() if with_pdf else Report.objects.all()
    return manager.select_related("programme").get(programme=programme, pk=report_id)


def report_published(*, slug: str, language: str, chain_head: str | None = None) -> Report:
    """Return the latest published public report (or the one at `chain_head`)."""
    reports = Report.objects.with_pdf().filter(
        programme__slug=slug,
        language=language,
        edition=Edition.PUBLIC,
        published=True,
        status=ReportStatus.READY,
    )
    if chain_head is not None:
        return reports.select_related("programme").get(chain_head=chain_head)
    report = reports.select_related("programme").order_by("-chain_seq", "-published_at").first()
    if report is None:
        raise Report.DoesNotExist
    return report
