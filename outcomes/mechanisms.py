"""Describe how each metric of a programme pays, as frozen data.

These dataclasses are exactly what the programme JSON definition carries for a
metric: ``MetricRule.from_dict(data, path)`` validates it (the readers, and
``RuleError`` naming the JSON path, are outcomes.rule_json) and ``to_dict()`` gives
it back; the programme's payers, caps and indexation are payments.rules.programme.
Money is an ``int`` of minor units (cents); rates, thresholds and shares are
``Decimal`` written as JSON *strings* (``"0.075"``) so that no float ever enters the
ledger.

Conventions, chosen once for the whole engine:

- improvements, thresholds and target rates are fractions (``0.10`` = 10 %);
- payer shares and savings shares are percentages (``"70"`` = 70 %), the way
  deals write them;
- a money amount computed from a Decimal is rounded to the cent with
  ``ROUND_HALF_UP`` (``to_cents``), the commercial rounding invoices use;
- an improvement or a rate is quantised to 0.0001 with ``ROUND_HALF_EVEN``
  (``quantise_rate``) before it is compared with a threshold, so a result
  exactly at the threshold pays and one just below pays nothing;
- a difference of counts is in whole units: a fractional count is refused, never
  rounded.

Those helpers and the shared enums are outcomes.mechanism_terms; the mechanisms
measured on absolute values (a difference of counts, a rate in bands) are
outcomes.absolute_mechanisms. All are registered in ``MECHANISMS`` below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from outcomes import rule_json as js
from outcomes.absolute_mechanisms import (
    AbsoluteDifferenceMechanism,
    BandedRateMechanism,
    in_band,
)
from outcomes.mechanism_terms import HUNDRED, Direction, TierBasis
from outcomes.mechanism_terms import RATE_QUANTUM as RATE_QUANTUM
from outcomes.mechanism_terms import quantise_rate as quantise_rate
from outcomes.mechanism_terms import to_cents as to_cents
from outcomes.rule_json import RuleError

# --- Mechanisms -------------------------------------------------------------


# `payable_per_participant` written for "every occurrence is paid".
EACH = "each"


@dataclass(frozen=True, slots=True)
class RateCardMechanism:
    """Pay a fixed price per verified outcome unit.

    ``payable_per_participant``: how many of one participant's outcomes on the metric are
    paid over the whole contract, the earliest first — 1 (the default, once), N, or
    ``None`` for every occurrence (written ``"each"``). It counts participant records;
    a verified count without participants has no one to count.
    """

    price: int
    payable_per_participant: int | None = 1

    kind = "rate_card"

    @classmethod
    def from_dict(cls, data: Any, path: str) -> RateCardMechanism:
        data = js.mapping(data, path)
        js.only_keys(data, {"kind", "price", "payable_per_participant"}, path)
        price = js.money(js.required(data, "price", path), js.child(path, "price"))
        times = _times(data.get("payable_per_participant", 1), path)
        return cls(price=price, payable_per_participant=times)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "price": self.price}
        # The default is left out, so a definition written before the rule existed (and
        # its contract version's digest) reads back unchanged.
        if self.payable_per_participant != 1:
            times = self.payable_per_participant
            data["payable_per_participant"] = EACH if times is None else times
        return data


def _times(value: Any, path: str) -> int | None:
    where = js.child(path, "payable_per_participant")
    if value == EACH:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RuleError(where, _('must be a whole number of at least 1, or "each"'))
    return js.count(value, where)


@dataclass(frozen=True, slots=True)
class Tier:
    """Pay ``amount`` when the improvement is in [min_improvement, max_improvement)."""

    min_improvement: Decimal
    max_improvement: Decimal | None
    amount: int

    @classmethod
    def from_dict(cls, data: Any, path: str) -> Tier:
        data = js.mapping(data, path)
        js.only_keys(data, {"min_improvement", "max_improvement", "amount"}, path)
        low = js.decimal(
            js.required(data, "min_improvement", path), js.child(path, "min_improvement")
        )
        high = js.optional(
            js.decimal, data.get("max_improvement"), js.child(path, "max_improvement")
        )
        if high is not None and low >= high:
            raise RuleError(js.child(path, "min_improvement"), _("must be below max_improvement"))
        amount = js.money(js.required(data, "amount", path), js.child(path, "amount"))
        return cls(min_improvement=low, max_improvement=high, amount=amount)

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_improvement": str(self.min_improvement),
            "max_improvement": js.dec(self.max_improvement),
            "amount": self.amount,
        }

    def contains(self, improvement: Decimal) -> bool:
        """Return whether the improvement falls in this band (upper bound excluded)."""
        return in_band(improvement, self.min_improvement, self.max_improvement)


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
        data = js.mapping(data, path)
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
        js.only_keys(data, allowed, path)
        direction = js.enum(
            Direction, js.required(data, "direction", path), js.child(path, "direction")
        )
        cohorts_path = js.child(path, "cohorts")
        cohorts = tuple(
            js.text(code, f"{cohorts_path}[{i}]")
            for i, code in enumerate(js.sequence(js.required(data, "cohorts", path), cohorts_path))
        )
        if not cohorts:
            raise RuleError(cohorts_path, _("must name at least one cohort"))
        if len(set(cohorts)) != len(cohorts):
            raise RuleError(cohorts_path, _("must not repeat a cohort"))
        thresholds = {}
        for key in ("cohort_threshold", "pooled_threshold"):
            value = js.optional(js.decimal, data.get(key), js.child(path, key))
            if value is not None and value < 0:
                raise RuleError(js.child(path, key), "must not be negative")
            thresholds[key] = value
        if thresholds["cohort_threshold"] is None and thresholds["pooled_threshold"] is None:
            raise RuleError(path, _("needs a cohort_threshold, a pooled_threshold or both"))
        price = js.optional(
            js.money, data.get("price_per_point"), js.child(path, "price_per_point")
        )
        tiers_path = js.child(path, "tiers")
        tiers = tuple(
            Tier.from_dict(tier, f"{tiers_path}[{i}]")
            for i, tier in enumerate(js.sequence(data.get("tiers") or [], tiers_path))
        )
        if (price is None) == (not tiers):
            raise RuleError(path, _("needs exactly one of price_per_point or tiers"))
        _check_tiers(tiers, tiers_path)
        basis = js.enum(
            TierBasis,
            data.get("tier_basis", TierBasis.PER_PARTICIPANT),
            js.child(path, "tier_basis"),
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
            "cohort_threshold": js.dec(self.cohort_threshold),
            "pooled_threshold": js.dec(self.pooled_threshold),
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
                js.child(here, "min_improvement"),
                _("overlaps tiers[%(before)s]; list bands in order") % {"before": i - 1},
            )
        if tier.amount < before.amount:
            message = _("must not be below tiers[%(before)s].amount") % {"before": i - 1}
            raise RuleError(js.child(here, "amount"), message)


@dataclass(frozen=True, slots=True)
class TargetMechanism:
    """Pay ``amount`` per cohort whose outcome rate reaches the attrition-adjusted target."""

    target_rate: Decimal
    amount: int

    kind = "target"

    @classmethod
    def from_dict(cls, data: Any, path: str) -> TargetMechanism:
        data = js.mapping(data, path)
        js.only_keys(data, {"kind", "target_rate", "amount"}, path)
        rate_path = js.child(path, "target_rate")
        rate = js.decimal(js.required(data, "target_rate", path), rate_path)
        if not 0 < rate <= 1:
            raise RuleError(rate_path, _("must be above 0 and at most 1"))
        amount = js.money(js.required(data, "amount", path), js.child(path, "amount"))
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
        data = js.mapping(data, path)
        js.only_keys(data, {"kind", "share_before_percent", "share_after_percent"}, path)
        shares = {}
        for key in ("share_before_percent", "share_after_percent"):
            share = js.decimal(js.required(data, key, path), js.child(path, key))
            if not 0 <= share <= HUNDRED:
                raise RuleError(js.child(path, key), _("must be between 0 and 100"))
            shares[key] = share
        if shares["share_before_percent"] == 0:
            raise RuleError(js.child(path, "share_before_percent"), _("must be above 0"))
        return cls(**shares)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "share_before_percent": str(self.share_before_percent),
            "share_after_percent": str(self.share_after_percent),
        }


@dataclass(frozen=True, slots=True)
class TrackedMechanism:
    """Pay nothing: the metric is measured and verified as evidence, never paid for.

    Many real deals track outcomes they do not pay for. Saying so is explicit
    (``{"kind": "tracked"}``): a metric without a mechanism is refused, so a
    forgotten price never silently means "unpaid".
    """

    kind = "tracked"

    @classmethod
    def from_dict(cls, data: Any, path: str) -> TrackedMechanism:
        js.only_keys(js.mapping(data, path), {"kind"}, path)
        return cls()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind}


@dataclass(frozen=True, slots=True)
class UndisclosedMechanism:
    """Paid under the contract at a price it does not disclose.

    The ledger cannot price what it does not know: a result verified on such a
    metric is evidence, and books nothing; pages and reports say "price not
    disclosed", never 0.
    """

    kind = "undisclosed"

    @classmethod
    def from_dict(cls, data: Any, path: str) -> UndisclosedMechanism:
        js.only_keys(js.mapping(data, path), {"kind"}, path)
        return cls()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind}


type Mechanism = (
    RateCardMechanism
    | ComparisonMechanism
    | TargetMechanism
    | SavingsShareMechanism
    | TrackedMechanism
    | UndisclosedMechanism
    | AbsoluteDifferenceMechanism
    | BandedRateMechanism
)
# Mechanisms under which the engine prices nothing (payments.rules.unpriced).
UNPRICED = (TrackedMechanism, UndisclosedMechanism)

MECHANISMS: dict[str, type[Mechanism]] = {
    mechanism.kind: mechanism
    for mechanism in (
        RateCardMechanism,
        ComparisonMechanism,
        TargetMechanism,
        SavingsShareMechanism,
        TrackedMechanism,
        UndisclosedMechanism,
        AbsoluteDifferenceMechanism,
        BandedRateMechanism,
    )
}


# --- Metric ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricRule:
    """How one metric pays, with its optional caps on paid count and amount."""

    code: str
    mechanism: Mechanism
    max_count: int | None = None
    max_amount: int | None = None

    @classmethod
    def from_dict(cls, data: Any, path: str) -> MetricRule:
        data = js.mapping(data, path)
        js.only_keys(data, {"code", "mechanism", "max_count", "max_amount"}, path)
        code = js.text(js.required(data, "code", path), js.child(path, "code"))
        mechanism_path = js.child(path, "mechanism")
        raw = js.mapping(js.required(data, "mechanism", path), mechanism_path)
        kind_path = js.child(mechanism_path, "kind")
        kind = raw.get("kind")
        if kind not in MECHANISMS:
            raise RuleError(kind_path, f"must be one of {', '.join(sorted(MECHANISMS))}")
        mechanism = MECHANISMS[kind].from_dict(raw, mechanism_path)
        max_count = js.optional(js.count, data.get("max_count"), js.child(path, "max_count"))
        if max_count is not None and not isinstance(mechanism, RateCardMechanism):
            raise RuleError(js.child(path, "max_count"), _("applies to rate_card metrics only"))
        max_amount = js.optional(js.money, data.get("max_amount"), js.child(path, "max_amount"))
        if max_amount is not None and isinstance(mechanism, UNPRICED):
            message = _("a %(kind)s metric pays nothing to cap") % {"kind": kind}
            raise RuleError(js.child(path, "max_amount"), message)
        return cls(code=code, mechanism=mechanism, max_count=max_count, max_amount=max_amount)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "mechanism": self.mechanism.to_dict(),
            "max_count": self.max_count,
            "max_amount": self.max_amount,
        }
