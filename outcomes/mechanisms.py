"""Describe how each metric of a programme pays, as frozen data.

These dataclasses are exactly what the programme JSON definition carries:
``ProgrammeRules.from_dict(data)`` validates a parsed JSON document and
``to_dict()`` gives it back. Money is an ``int`` of minor units (cents);
rates, thresholds and shares are ``Decimal`` written as JSON *strings*
(``"0.075"``) so that no float ever enters the ledger.

Conventions, chosen once for the whole engine:

- improvements, thresholds and target rates are fractions (``0.10`` = 10 %);
- payer shares and savings shares are percentages (``"70"`` = 70 %), the way
  deals write them;
- a money amount computed from a Decimal is rounded to the cent with
  ``ROUND_HALF_UP`` (``to_cents``), the commercial rounding invoices use;
- an improvement or a rate is quantised to 0.0001 with ``ROUND_HALF_EVEN``
  (``quantise_rate``) before it is compared with a threshold, so a result
  exactly at the threshold pays and one just below pays nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from sib.bounds import MAX_COUNT, MAX_DECIMAL_INTEGER_DIGITS, MAX_MONEY, RATE_DECIMAL_PLACES

RATE_QUANTUM = Decimal("0.0001")
HUNDRED = Decimal(100)


class RuleError(ValueError):
    """A rule definition or an input that breaks a payment rule."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class Direction(StrEnum):
    LOWER_IS_BETTER = "lower_is_better"
    HIGHER_IS_BETTER = "higher_is_better"


class TierBasis(StrEnum):
    PER_PARTICIPANT = "per_participant"
    PER_COHORT = "per_cohort"


def to_cents(amount: Decimal) -> int:
    """Round a Decimal amount of minor units to a whole cent, half up."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def quantise_rate(rate: Decimal) -> Decimal:
    """Quantise a rate or improvement to 0.0001, half even, before any threshold test."""
    return rate.quantize(RATE_QUANTUM, rounding=ROUND_HALF_EVEN)


# --- JSON readers: each names the JSON path of what it rejects -------------


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RuleError(path, "must be an object")
    return value


def _list(value: Any, path: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise RuleError(path, "must be a list")
    return value


def _only_keys(data: Mapping[str, Any], allowed: set[str], path: str) -> None:
    # Unknown keys are most often typos of an optional cap; rejecting them
    # stops a misspelt "contract_cap" from silently meaning "no cap".
    for key in sorted(set(data) - allowed):
        raise RuleError(_child(path, key), "unknown key")


def _required(data: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in data:
        raise RuleError(_child(path, key), "is required")
    return data[key]


def _money(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(path, "must be an integer amount of minor units (cents)")
    if value < 0:
        raise RuleError(path, "must not be negative")
    if value > MAX_MONEY:
        raise RuleError(path, f"must be at most {MAX_MONEY:,} minor units (cents)")
    return value


def _count(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(path, "must be an integer")
    if value < 0:
        raise RuleError(path, "must not be negative")
    if value > MAX_COUNT:
        raise RuleError(path, f"must be at most {MAX_COUNT:,}")
    return value


def _decimal(value: Any, path: str) -> Decimal:
    if isinstance(value, float):
        raise RuleError(path, 'must be a decimal string such as "0.10", not a float')
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise RuleError(path, "must be a decimal string")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise RuleError(path, f"is not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise RuleError(path, "must be finite")
    # Rules write their decimals back normalised ("7E+1" for 70), so an exponent is taken;
    # a size no rate or share has is not ("1e30").
    if number.adjusted() >= MAX_DECIMAL_INTEGER_DIGITS:
        raise RuleError(
            path, f"is too large: at most {MAX_DECIMAL_INTEGER_DIGITS} digits before the point"
        )
    if number.as_tuple().exponent < -RATE_DECIMAL_PLACES:  # type: ignore[operator]
        raise RuleError(path, f"has more than {RATE_DECIMAL_PLACES} decimal places")
    return number


def _optional[V](read: Callable[[Any, str], V], value: Any, path: str) -> V | None:
    return None if value is None else read(value, path)


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleError(path, "must be a non-empty string")
    return value


def _enum[E: StrEnum](kind: type[E], value: Any, path: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise RuleError(path, f"must be one of {allowed}") from None


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- Mechanisms -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RateCardMechanism:
    """Pay a fixed price per verified outcome unit."""

    price: int

    kind = "rate_card"

    @classmethod
    def from_dict(cls, data: Any, path: str) -> RateCardMechanism:
        data = _mapping(data, path)
        _only_keys(data, {"kind", "price"}, path)
        return cls(price=_money(_required(data, "price", path), _child(path, "price")))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "price": self.price}


@dataclass(frozen=True, slots=True)
class Tier:
    """Pay ``amount`` when the improvement is in [min_improvement, max_improvement)."""

    min_improvement: Decimal
    max_improvement: Decimal | None
    amount: int

    @classmethod
    def from_dict(cls, data: Any, path: str) -> Tier:
        data = _mapping(data, path)
        _only_keys(data, {"min_improvement", "max_improvement", "amount"}, path)
        low = _decimal(_required(data, "min_improvement", path), _child(path, "min_improvement"))
        high = _optional(_decimal, data.get("max_improvement"), _child(path, "max_improvement"))
        if high is not None and low >= high:
            raise RuleError(_child(path, "min_improvement"), "must be below max_improvement")
        amount = _money(_required(data, "amount", path), _child(path, "amount"))
        return cls(min_improvement=low, max_improvement=high, amount=amount)

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_improvement": str(self.min_improvement),
            "max_improvement": _dec(self.max_improvement),
            "amount": self.amount,
        }

    def contains(self, improvement: Decimal) -> bool:
        """Return whether the improvement falls in this band (upper bound excluded)."""
        above_floor = improvement >= self.min_improvement
        return above_floor and (self.max_improvement is None or improvement < self.max_improvement)


@dataclass(frozen=True, slots=True)
class ComparisonMechanism:
    """Pay for the improvement of treated cohorts over a comparison group.

    A cohort whose own improvement reaches ``cohort_threshold`` is paid early;
    the cohorts left unpaid are paid once on the pooled improvement of all
    completed cohorts if it reaches ``pooled_threshold``. Exactly one of
    ``price_per_point`` (per percentage point per participant) or ``tiers``.
    """

    direction: Direction
    cohorts: tuple[str, ...]
    cohort_threshold: Decimal | None
    pooled_threshold: Decimal | None
    price_per_point: int | None = None
    tiers: tuple[Tier, ...] = ()
    tier_basis: TierBasis = TierBasis.PER_PARTICIPANT

    kind = "comparison"

    @classmethod
    def from_dict(cls, data: Any, path: str) -> ComparisonMechanism:
        data = _mapping(data, path)
        allowed = {
            "kind",
            "direction",
            "cohorts",
            "cohort_threshold",
            "pooled_threshold",
            "price_per_point",
            "tiers",
            "tier_basis",
        }
        _only_keys(data, allowed, path)
        direction = _enum(Direction, _required(data, "direction", path), _child(path, "direction"))
        cohorts_path = _child(path, "cohorts")
        cohorts = tuple(
            _text(code, f"{cohorts_path}[{i}]")
            for i, code in enumerate(_list(_required(data, "cohorts", path), cohorts_path))
        )
        if not cohorts:
            raise RuleError(cohorts_path, "must name at least one cohort")
        if len(set(cohorts)) != len(cohorts):
            raise RuleError(cohorts_path, "must not repeat a cohort")
        thresholds = {}
        for key in ("cohort_threshold", "pooled_threshold"):
            value = _optional(_decimal, data.get(key), _child(path, key))
            if value is not None and value < 0:
                raise RuleError(_child(path, key), "must not be negative")
            thresholds[key] = value
        if thresholds["cohort_threshold"] is None and thresholds["pooled_threshold"] is None:
            raise RuleError(path, "needs a cohort_threshold, a pooled_threshold or both")
        price = _optional(_money, data.get("price_per_point"), _child(path, "price_per_point"))
        tiers_path = _child(path, "tiers")
        tiers = tuple(
            Tier.from_dict(tier, f"{tiers_path}[{i}]")
            for i, tier in enumerate(_list(data.get("tiers") or [], tiers_path))
        )
        if (price is None) == (not tiers):
            raise RuleError(path, "needs exactly one of price_per_point or tiers")
        _check_tiers(tiers, tiers_path)
        basis = _enum(
            TierBasis, data.get("tier_basis", TierBasis.PER_PARTICIPANT), _child(path, "tier_basis")
        )
        return cls(
            direction=direction,
            cohorts=cohorts,
            cohort_threshold=thresholds["cohort_threshold"],
            pooled_threshold=thresholds["pooled_threshold"],
            price_per_point=price,
            tiers=tiers,
            tier_basis=basis,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "direction": self.direction.value,
            "cohorts": list(self.cohorts),
            "cohort_threshold": _dec(self.cohort_threshold),
            "pooled_threshold": _dec(self.pooled_threshold),
            "price_per_point": self.price_per_point,
            "tiers": [tier.to_dict() for tier in self.tiers],
            "tier_basis": self.tier_basis.value,
        }


def _check_tiers(tiers: Sequence[Tier], path: str) -> None:
    # Bands must climb without overlapping and never pay less for a better
    # result: a deal that paid less for more improvement would reward
    # under-reporting, and the "lower result never pays more" property fails.
    for i in range(1, len(tiers)):
        before, tier = tiers[i - 1], tiers[i]
        here = f"{path}[{i}]"
        if before.max_improvement is None or tier.min_improvement < before.max_improvement:
            raise RuleError(
                _child(here, "min_improvement"), f"overlaps tiers[{i - 1}]; list bands in order"
            )
        if tier.amount < before.amount:
            raise RuleError(_child(here, "amount"), f"must not be below tiers[{i - 1}].amount")


@dataclass(frozen=True, slots=True)
class TargetMechanism:
    """Pay ``amount`` per cohort whose outcome rate reaches the attrition-adjusted target."""

    target_rate: Decimal
    amount: int

    kind = "target"

    @classmethod
    def from_dict(cls, data: Any, path: str) -> TargetMechanism:
        data = _mapping(data, path)
        _only_keys(data, {"kind", "target_rate", "amount"}, path)
        rate_path = _child(path, "target_rate")
        rate = _decimal(_required(data, "target_rate", path), rate_path)
        if not 0 < rate <= 1:
            raise RuleError(rate_path, "must be above 0 and at most 1")
        amount = _money(_required(data, "amount", path), _child(path, "amount"))
        return cls(target_rate=rate, amount=amount)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "target_rate": str(self.target_rate), "amount": self.amount}


@dataclass(frozen=True, slots=True)
class SavingsShareMechanism:
    """Pay a percentage of cost avoided: share before, then after, investors are repaid."""

    share_before_percent: Decimal
    share_after_percent: Decimal

    kind = "savings_share"

    @classmethod
    def from_dict(cls, data: Any, path: str) -> SavingsShareMechanism:
        data = _mapping(data, path)
        _only_keys(data, {"kind", "share_before_percent", "share_after_percent"}, path)
        shares = {}
        for key in ("share_before_percent", "share_after_percent"):
            share = _decimal(_required(data, key, path), _child(path, key))
            if not 0 <= share <= HUNDRED:
                raise RuleError(_child(path, key), "must be between 0 and 100")
            shares[key] = share
        if shares["share_before_percent"] == 0:
            raise RuleError(_child(path, "share_before_percent"), "must be above 0")
        return cls(**shares)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "share_before_percent": str(self.share_before_percent),
            "share_after_percent": str(self.share_after_percent),
        }


type Mechanism = RateCardMechanism | ComparisonMechanism | TargetMechanism | SavingsShareMechanism

MECHANISMS: dict[str, type[Mechanism]] = {
    mechanism.kind: mechanism
    for mechanism in (
        RateCardMechanism,
        ComparisonMechanism,
        TargetMechanism,
        SavingsShareMechanism,
    )
}


# --- Metric, payers, indexation, programme ---------------------------------


@dataclass(frozen=True, slots=True)
class MetricRule:
    """How one metric pays, with its optional caps on paid count and amount."""

    code: str
    mechanism: Mechanism
    max_count: int | None = None
    max_amount: int | None = None

    @classmethod
    def from_dict(cls, data: Any, path: str) -> MetricRule:
        data = _mapping(data, path)
        _only_keys(data, {"code", "mechanism", "max_count", "max_amount"}, path)
        code = _text(_required(data, "code", path), _child(path, "code"))
        mechanism_path = _child(path, "mechanism")
        raw = _mapping(_required(data, "mechanism", path), mechanism_path)
        kind_path = _child(mechanism_path, "kind")
        kind = raw.get("kind")
        if kind not in MECHANISMS:
            raise RuleError(kind_path, f"must be one of {', '.join(sorted(MECHANISMS))}")
        mechanism = MECHANISMS[kind].from_dict(raw, mechanism_path)
        max_count = _optional(_count, data.get("max_count"), _child(path, "max_count"))
        if max_count is not None and not isinstance(mechanism, RateCardMechanism):
            raise RuleError(_child(path, "max_count"), "applies to rate_card metrics only")
        max_amount = _optional(_money, data.get("max_amount"), _child(path, "max_amount"))
        return cls(code=code, mechanism=mechanism, max_count=max_count, max_amount=max_amount)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "mechanism": self.mechanism.to_dict(),
            "max_count": self.max_count,
            "max_amount": self.max_amount,
        }


@dataclass(frozen=True, slots=True)
class PayerShare:
    """A co-payer and the percentage of every outcome payment it owes."""

    payer: str
    share_percent: Decimal

    @classmethod
    def from_dict(cls, data: Any, path: str) -> PayerShare:
        data = _mapping(data, path)
        _only_keys(data, {"payer", "share_percent"}, path)
        payer = _text(_required(data, "payer", path), _child(path, "payer"))
        share_path = _child(path, "share_percent")
        share = _decimal(_required(data, "share_percent", path), share_path)
        if not 0 < share <= HUNDRED:
            raise RuleError(share_path, "must be above 0 and at most 100")
        return cls(payer=payer, share_percent=share)

    def to_dict(self) -> dict[str, Any]:
        return {"payer": self.payer, "share_percent": str(self.share_percent)}


@dataclass(frozen=True, slots=True)
class IndexFactor:
    """The contracted price multiplier for outcomes dated in ``year``."""

    year: int
    factor: Decimal

    @classmethod
    def from_dict(cls, data: Any, path: str) -> IndexFactor:
        data = _mapping(data, path)
        _only_keys(data, {"year", "factor"}, path)
        year = _count(_required(data, "year", path), _child(path, "year"))
        factor = _decimal(_required(data, "factor", path), _child(path, "factor"))
        if factor <= 0:
            raise RuleError(_child(path, "factor"), "must be above 0")
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
        data = _mapping(data, path)
        _only_keys(data, {"factors"}, path)
        factors_path = _child(path, "factors")
        factors = tuple(
            IndexFactor.from_dict(item, f"{factors_path}[{i}]")
            for i, item in enumerate(_list(_required(data, "factors", path), factors_path))
        )
        for i in range(1, len(factors)):
            if factors[i].year <= factors[i - 1].year:
                raise RuleError(
                    f"{factors_path}[{i}].year", "years must be listed in increasing order"
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
    """Every payment rule of one programme: metrics, caps, payers, indexation."""

    currency: str
    payers: tuple[PayerShare, ...]
    metrics: tuple[MetricRule, ...]
    participant_cap: int | None = None
    contract_cap: int | None = None
    indexation: Indexation | None = None

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> ProgrammeRules:
        data = _mapping(data, path or "$")
        allowed = {"currency", "payers", "metrics", "participant_cap", "contract_cap", "indexation"}
        _only_keys(data, allowed, path)
        currency = _text(_required(data, "currency", path), _child(path, "currency"))
        payers_path = _child(path, "payers")
        payers = tuple(
            PayerShare.from_dict(item, f"{payers_path}[{i}]")
            for i, item in enumerate(_list(_required(data, "payers", path), payers_path))
        )
        _check_payers(payers, payers_path)
        metrics_path = _child(path, "metrics")
        metrics = tuple(
            MetricRule.from_dict(item, f"{metrics_path}[{i}]")
            for i, item in enumerate(_list(_required(data, "metrics", path), metrics_path))
        )
        seen: set[str] = set()
        for i, metric in enumerate(metrics):
            if metric.code in seen:
                raise RuleError(f"{metrics_path}[{i}].code", f"repeats metric {metric.code!r}")
            seen.add(metric.code)
        indexation = None
        if data.get("indexation") is not None:
            indexation = Indexation.from_dict(data["indexation"], _child(path, "indexation"))
        return cls(
            currency=currency,
            payers=payers,
            metrics=metrics,
            participant_cap=_optional(
                _money, data.get("participant_cap"), _child(path, "participant_cap")
            ),
            contract_cap=_optional(_money, data.get("contract_cap"), _child(path, "contract_cap")),
            indexation=indexation,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "payers": [payer.to_dict() for payer in self.payers],
            "metrics": [metric.to_dict() for metric in self.metrics],
            "participant_cap": self.participant_cap,
            "contract_cap": self.contract_cap,
            "indexation": None if self.indexation is None else self.indexation.to_dict(),
        }

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
    total = sum((payer.share_percent for payer in payers), Decimal(0))
    # Exactly 100: a split that summed to 99.99 would leave a cent nobody owes.
    if total != HUNDRED:
        raise RuleError(path, f"share_percent must sum to exactly 100, not {total}")


# --- Priced claims, shared by every mechanism -------------------------------


class NotPayableReason(StrEnum):
    PARTICIPANT_CAP = "participant_cap"
    METRIC_COUNT_CAP = "metric_count_cap"
    METRIC_AMOUNT_CAP = "metric_amount_cap"
    CONTRACT_CAP = "contract_cap"
    AFTER_TERMINATION = "after_termination"
    BELOW_THRESHOLD = "below_threshold"
    BELOW_TARGET = "below_target"
    COHORT_NOT_COMPLETED = "cohort_not_completed"
    AWAITING_POOLED_RESULT = "awaiting_pooled_result"


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
