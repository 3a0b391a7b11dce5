"""A report's outcomes as of a chain state: metric sections and the verification log.

A verified result counts once its decision is chained at or before the state, and stops
counting once a verified amendment of it is, or a final result of its cell (outcomes.cells,
as the payments count it); amendments and funder reviews enter the log the same way.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from outcomes.cells import CellResult, replaced_interims
from outcomes.models import Cohort, Metric, Result, ResultDecision, ResultReview, Unit
from reports import document as doc
from reports.rendering.formatting import format_money, format_percent
from reports.selectors.state import AMENDMENT, DECISION, REVIEW, chained_ids
from sib.models import Programme, User


@dataclass(frozen=True, slots=True)
class Outcomes:
    """The outcome figures and the verification log a report prints, as of one state."""

    sections: tuple[doc.MetricSection, ...]
    log: tuple[doc.VerificationEntry, ...]
    verified_count: int
    enrolled: int


def outcomes_as_of(programme: Programme, seq: int, lang: str) -> Outcomes:
    """Return metric sections and the verification log as of chain entry `seq`."""
    chained = chained_ids(programme.pk, seq, (DECISION, AMENDMENT, REVIEW))
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
    standing = [r for rid, r in verified.items() if rid not in superseded]
    replaced = replaced_interims(
        CellResult(r.pk, (r.metric_id, r.cohort_id, r.period_id), r.stage, r.from_participants)
        for r in standing
    )
    current = [r for r in standing if r.pk not in replaced]

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
        elif metric.unit == Unit.PARTICIPANT_OUTCOME and kind != "absolute_difference":
            # An absolute difference counts events (reconvictions), not outcomes achieved.
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
    return Outcomes(tuple(sections), log, verified_count, enrolled)


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
        "each": "Chaque occurrence est payée, pour une même personne aussi.",
        "times": "Au plus {times} fois par personne.",
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
        "absolute_difference": (
            "Écart avec un groupe témoin : {price} par unité d’écart en faveur de la cohorte."
        ),
        "absolute_difference_lower": (
            "Écart avec un groupe témoin, un nombre plus bas étant meilleur : {price} par "
            "unité en dessous du nombre du groupe témoin."
        ),
        "absolute_difference_threshold": " Paiement à partir d’un écart de {threshold}.",
        "banded_rate": "Paliers sur le taux atteint : {bands} ; en dessous de {lowest}, rien.",
        "band": "de {low} à {high} : {amount}",
        "band_top": "{low} ou plus : {amount}",
        "band_separator": " ; ",
        "per_cohort": "{amount} par cohorte",
        "per_participant": "{amount} par participant mesuré",
        "tracked": "Indicateur suivi, sans paiement.",
        "undisclosed": "Payé au contrat : prix non communiqué.",
        "other": "Mécanisme défini au contrat.",
    },
    "en": {
        "rate_card": "Rate card: {price} per verified outcome.",
        "each": "Each occurrence is paid, for the same person too.",
        "times": "At most {times} times per person.",
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
        "absolute_difference": (
            "Difference with a comparison group: {price} per unit the cohort does better by."
        ),
        "absolute_difference_lower": (
            "Difference with a comparison group, a lower count being better: {price} per unit "
            "the cohort's count is below the comparison group's."
        ),
        "absolute_difference_threshold": " Paid from a difference of {threshold}.",
        "banded_rate": "Bands on the rate achieved: {bands}; below {lowest}, nothing.",
        "band": "{low} to {high}: {amount}",
        "band_top": "{low} or more: {amount}",
        "band_separator": "; ",
        "per_cohort": "{amount} per cohort",
        "per_participant": "{amount} per participant measured",
        "tracked": "Tracked, not paid.",
        "undisclosed": "Paid under the contract: price not disclosed.",
        "other": "Mechanism as defined in the contract.",
    },
}


def _mechanism_text(mechanism: dict[str, Any], currency: str, lang: str) -> str:
    texts = _MECHANISM_TEXT[lang]
    kind = mechanism.get("kind", "")
    try:
        if kind == "rate_card":
            text = texts[kind].format(price=format_money(int(mechanism["price"]), currency, lang))
            # How often one person is paid (outcomes.mechanisms): said only when not once.
            times = mechanism.get("payable_per_participant", 1)
            if times == "each":
                return f"{text} {texts['each']}"
            if times != 1:
                return f"{text} {texts['times'].format(times=int(times))}"
            return text
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
        if kind in ("tracked", "undisclosed"):
            return texts[kind]
        if kind == "absolute_difference":
            return _difference_text(mechanism, currency, lang)
        if kind == "banded_rate":
            return _bands_text(mechanism, currency, lang)
        if kind == "savings_share":
            return texts[kind].format(
                before=format_percent(Decimal(str(mechanism["share_before_percent"])) / 100, lang),
                after=format_percent(Decimal(str(mechanism["share_after_percent"])) / 100, lang),
            )
    except (KeyError, ArithmeticError, ValueError, TypeError):
        pass
    return texts["other"]


def _difference_text(mechanism: dict[str, Any], currency: str, lang: str) -> str:
    texts = _MECHANISM_TEXT[lang]
    lower = mechanism.get("direction") == "lower_is_better"
    price = format_money(int(mechanism["price_per_unit"]), currency, lang)
    text = texts["absolute_difference_lower" if lower else "absolute_difference"]
    text = text.format(price=price)
    if mechanism.get("threshold"):
        text += texts["absolute_difference_threshold"].format(threshold=int(mechanism["threshold"]))
    return text


def _bands_text(mechanism: dict[str, Any], currency: str, lang: str) -> str:
    """Return the bands from the highest, as a deal lists them: "70 % or more: ..."."""
    texts = _MECHANISM_TEXT[lang]
    per = texts["per_participant" if mechanism["basis"] == "per_participant" else "per_cohort"]
    items = []
    for band in reversed(mechanism["bands"]):
        low = format_percent(Decimal(str(band["min_rate"])), lang, places=1)
        amount = per.format(amount=format_money(int(band["amount"]), currency, lang))
        if band.get("max_rate") is None:
            items.append(texts["band_top"].format(low=low, amount=amount))
        else:
            high = format_percent(Decimal(str(band["max_rate"])), lang, places=1)
            items.append(texts["band"].format(low=low, high=high, amount=amount))
    lowest = format_percent(Decimal(str(mechanism["bands"][0]["min_rate"])), lang, places=1)
    return texts["banded_rate"].format(bands=texts["band_separator"].join(items), lowest=lowest)


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
