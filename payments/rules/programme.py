"""A programme's payment rules as frozen data: metrics, payers, indexation, caps; claims.

``ProgrammeRules.from_dict(data)`` validates the programme JSON's rules and
``to_dict()`` gives them back; each metric's mechanism is outcomes.mechanisms (the
conventions on rates and rounding are there). The rules engine (payments.rules) turns
verified results into ``Claim`` s and what caps leave unpaid into ``NotPayable`` items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _

from outcomes import rule_json as js
from outcomes.mechanisms import HUNDRED, MetricRule, to_cents
from outcomes.rule_json import RuleError
from payments.rules.payers import REST, PayerSplit, check_cell_shares, check_splits


@dataclass(frozen=True, slots=True)
class PayerShare:
    """A co-payer and the percentage of every outcome payment it owes.

    A share of 0 is a payer that pays only where a ``PayerSplit`` names it (a county
    paying for its own cohort only). A ``residual`` payer (share ``"rest"``, kept as 0
    here) pays what the others' shares leave and what their caps stop
    (payments.rules.payers).
    """

    payer: str
    share_percent: Decimal
    # The most the payer owes over the contract (minor units); past it, its part of a
    # payment is due from no one (payments.rules.compute, "payer caps").
    cap: int | None = None
    residual: bool = False

    @classmethod
    def from_dict(cls, data: Any, path: str) -> PayerShare:
        data = js.mapping(data, path)
        js.only_keys(data, {"payer", "share_percent", "cap"}, path)
        payer = js.text(js.required(data, "payer", path), js.child(path, "payer"))
        share_path = js.child(path, "share_percent")
        cap = js.optional(js.money, data.get("cap"), js.child(path, "cap"))
        if js.required(data, "share_percent", path) == REST:
            return cls(payer=payer, share_percent=Decimal(0), cap=cap, residual=True)
        share = js.decimal(data["share_percent"], share_path)
        if not 0 <= share <= HUNDRED:
            raise RuleError(share_path, _("must be at least 0 and at most 100"))
        return cls(payer=payer, share_percent=share, cap=cap)

    def to_dict(self) -> dict[str, Any]:
        # "rest" only for a residual payer: every other payer's terms keep their digest.
        share = REST if self.residual else str(self.share_percent)
        data: dict[str, Any] = {"payer": self.payer, "share_percent": share}
        # Only when capped: an uncapped payer's terms (and their digest) stay as they were.
        if self.cap is not None:
            data["cap"] = self.cap
        return data


@dataclass(frozen=True, slots=True)
class IndexFactor:
    """The contracted price multiplier for outcomes dated in ``year``."""

    year: int
    factor: Decimal

    @classmethod
    def from_dict(cls, data: Any, path: str) -> IndexFactor:
        data = js.mapping(data, path)
        js.only_keys(data, {"year", "factor"}, path)
        year = js.count(js.required(data, "year", path), js.child(path, "year"))
        factor = js.decimal(js.required(data, "factor", path), js.child(path, "factor"))
        if factor <= 0:
            raise RuleError(js.child(path, "factor"), _("must be above 0"))
        return cls(year=year, factor=factor)

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "factor": str(self.factor)}


@dataclass(frozen=True, slots=True)
class Indexation:
    """A yearly index table applied to contracted prices by the outcome's date.

    An outcome dated in year Y uses the factor of the latest listed year at or
    before Y; before the first listed year the contracted price applies as is.
    The indexed price is rounded to the cent, half up (``to_cents``).
    """

    factors: tuple[IndexFactor, ...]

    @classmethod
    def from_dict(cls, data: Any, path: str) -> Indexation:
        data = js.mapping(data, path)
        js.only_keys(data, {"factors"}, path)
        factors_path = js.child(path, "factors")
        factors = tuple(
            IndexFactor.from_dict(item, f"{factors_path}[{i}]")
            for i, item in enumerate(js.sequence(js.required(data, "factors", path), factors_path))
        )
        for i in range(1, len(factors)):
            if factors[i].year <= factors[i - 1].year:
                raise RuleError(
                    f"{factors_path}[{i}].year", _("years must be listed in increasing order")
                )
        return cls(factors=factors)

    def to_dict(self) -> dict[str, Any]:
        return {"factors": [factor.to_dict() for factor in self.factors]}

    def price_on(self, price: int, on: date) -> int:
        """Return the contracted price indexed for an outcome dated ``on``."""
        factor = Decimal(1)
        for entry in self.factors:
            if entry.year <= on.year:
                factor = entry.factor
        return to_cents(price * factor)


@dataclass(frozen=True, slots=True)
class ProgrammeRules:
    """Every payment rule of one programme: metrics, caps, payers, indexation.

    ``payers`` are the programme-wide shares; ``payer_splits`` override them for the
    cohorts and metrics they name (payments.rules.payers).
    """

    currency: str
    payers: tuple[PayerShare, ...]
    metrics: tuple[MetricRule, ...]
    participant_cap: int | None = None
    contract_cap: int | None = None
    indexation: Indexation | None = None
    payer_splits: tuple[PayerSplit, ...] = ()

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> ProgrammeRules:
        data = js.mapping(data, path or "$")
        allowed = {
            "currency",
            "payers",
            "metrics",
            "participant_cap",
            "contract_cap",
            "indexation",
            "payer_splits",
        }
        js.only_keys(data, allowed, path)
        currency = js.text(js.required(data, "currency", path), js.child(path, "currency"))
        payers_path = js.child(path, "payers")
        payers = tuple(
            PayerShare.from_dict(item, f"{payers_path}[{i}]")
            for i, item in enumerate(js.sequence(js.required(data, "payers", path), payers_path))
        )
        _check_payers(payers, payers_path)
        splits = payer_splits_from_list(
            data.get("payer_splits"), [p.payer for p in payers], js.child(path, "payer_splits")
        )
        metrics_path = js.child(path, "metrics")
        metrics = tuple(
            MetricRule.from_dict(item, f"{metrics_path}[{i}]")
            for i, item in enumerate(js.sequence(js.required(data, "metrics", path), metrics_path))
        )
        seen: set[str] = set()
        for i, metric in enumerate(metrics):
            if metric.code in seen:
                raise RuleError(f"{metrics_path}[{i}].code", f"repeats metric {metric.code!r}")
            seen.add(metric.code)
        indexation = None
        if data.get("indexation") is not None:
            indexation = Indexation.from_dict(data["indexation"], js.child(path, "indexation"))
        return cls(
            currency=currency,
            payers=payers,
            metrics=metrics,
            participant_cap=js.optional(
                js.money, data.get("participant_cap"), js.child(path, "participant_cap")
            ),
            contract_cap=js.optional(
                js.money, data.get("contract_cap"), js.child(path, "contract_cap")
            ),
            indexation=indexation,
            payer_splits=splits,
        )

    def to_dict(self) -> dict[str, Any]:
        data = {
            "currency": self.currency,
            "payers": [payer.to_dict() for payer in self.payers],
            "metrics": [metric.to_dict() for metric in self.metrics],
            "participant_cap": self.participant_cap,
            "contract_cap": self.contract_cap,
            "indexation": None if self.indexation is None else self.indexation.to_dict(),
        }
        # Only when there are some: the terms (and the contract version's digest) of a
        # programme split programme-wide stay what they were before splits existed.
        if self.payer_splits:
            data["payer_splits"] = [split.to_dict() for split in self.payer_splits]
        return data

    def shares_for(self, cohort: str, metric: str) -> list[Decimal]:
        """Return each payer's share (in ``payers`` order) of ``metric``'s payments for
        ``cohort``: the split that covers them, else the programme-wide shares (always
        for a grant, which pays for no metric or cohort). A residual payer's is 0."""
        return self.cell_shares(cohort, metric)[0]

    def cell_shares(self, cohort: str, metric: str) -> tuple[list[Decimal], int | None]:
        """Return ``shares_for`` and the index in ``payers`` of the cell's residual payer
        (None for none): the split's own, else the programme-wide one."""
        for split in self.payer_splits if metric != GRANT_METRIC else ():
            if split.covers(cohort, metric):
                by_payer = {share.payer: share for share in split.shares}
                shares = [
                    by_payer[p.payer].share_percent if p.payer in by_payer else Decimal(0)
                    for p in self.payers
                ]
                rest = [
                    j
                    for j, p in enumerate(self.payers)
                    if (s := by_payer.get(p.payer)) and s.residual
                ]
                return shares, (rest[0] if rest else None)
        rest = [j for j, payer in enumerate(self.payers) if payer.residual]
        return [payer.share_percent for payer in self.payers], (rest[0] if rest else None)

    def metric(self, code: str) -> MetricRule:
        """Return the rule of the metric ``code``."""
        for metric in self.metrics:
            if metric.code == code:
                return metric
        raise RuleError("metric", f"unknown metric {code!r}")

    def price_on(self, price: int, on: date) -> int:
        """Return ``price`` indexed for an outcome dated ``on`` (unchanged without indexation)."""
        return price if self.indexation is None else self.indexation.price_on(price, on)


def _check_payers(payers: Sequence[PayerShare], path: str) -> None:
    if not payers:
        raise RuleError(path, "must name at least one payer")
    codes = [payer.payer for payer in payers]
    if len(set(codes)) != len(codes):
        raise RuleError(path, "must not repeat a payer")
    if not any(payer.residual for payer in payers):
        total = sum((payer.share_percent for payer in payers), Decimal(0))
        # Exactly 100: a split that summed to 99.99 would leave a cent nobody owes.
        if total != HUNDRED:
            raise RuleError(path, f"share_percent must sum to exactly 100, not {total}")
    check_cell_shares([(p.payer, p.share_percent, p.residual) for p in payers], path)


def payer_splits_from_list(data: Any, payers: Sequence[str], path: str) -> tuple[PayerSplit, ...]:
    """Return the payer splits of ``data`` (None: none), checked against ``payers``."""
    if data is None:
        return ()
    splits = tuple(
        PayerSplit.from_dict(item, f"{path}[{i}]") for i, item in enumerate(js.sequence(data, path))
    )
    check_splits(splits, payers, path)
    return splits


class NotPayableReason(StrEnum):
    PARTICIPANT_CAP = "participant_cap"
    METRIC_COUNT_CAP = "metric_count_cap"
    METRIC_AMOUNT_CAP = "metric_amount_cap"
    CONTRACT_CAP = "contract_cap"
    # A payer's part past its own cap: due from no one (payments.rules.compute).
    PAYER_CAP = "payer_cap"
    AFTER_TERMINATION = "after_termination"
    BELOW_THRESHOLD = "below_threshold"
    BELOW_TARGET = "below_target"
    COHORT_NOT_COMPLETED = "cohort_not_completed"
    AWAITING_POOLED_RESULT = "awaiting_pooled_result"
    # The metric is not priced (payments.rules.unpriced): tracked only, or price unknown.
    TRACKED = "tracked"
    PRICE_UNDISCLOSED = "price_undisclosed"
    # A contract variation stops it (payments.rules.variations).
    PAUSED = "paused"
    COHORT_REMOVED = "cohort_removed"
    REDEEMED = "redeemed"
    # Its period is paid by a fixed grant instead (payments.rules.variations).
    GRANT_PAYMENTS = "grant_payments"


# The metric (and cohort) of a grant's claim and payment line: a grant pays for no metric
# and no cohort, only for its period; "" is no metric's code (codes are slugs).
GRANT_METRIC = ""


@dataclass(frozen=True, slots=True)
class Claim:
    """An amount a mechanism priced for some verified results, before or after caps.

    ``unit_price`` is the (indexed) price used: per outcome for a rate card,
    per percentage point per participant or the tier amount for a comparison,
    the amount per cohort for a target. ``participant`` is the pseudonym and
    only serves the per-participant cap; it never reaches the output.
    """

    metric: str
    cohort: str
    period: str
    on: date
    result_ids: tuple[str, ...]
    count: int
    amount: int
    unit_price: int | None = None
    improvement: Decimal | None = None
    share_percent: Decimal | None = None
    participant: str | None = None

    @property
    def order(self) -> tuple[date, str, tuple[str, ...]]:
        """Return the deal's processing order: by date, then metric code, then result id."""
        return (self.on, self.metric, self.result_ids)


@dataclass(frozen=True, slots=True)
class NotPayable:
    """A claim, or the part of one, that is not payable, and why."""

    claim: Claim
    reason: NotPayableReason
