"""The outcome-payment rules engine: verified results in, what each payer owes out.

Design overview
---------------
Pure Python, no Django: the services load VERIFIED results and the programme's
rules, call ``compute_outcome_payments`` and store the plan it returns.

- ``programme`` (with outcomes.mechanisms) — frozen dataclasses for the rules
  (``ProgrammeRules`` → ``MetricRule`` → one mechanism), read from and written to the programme
  JSON with ``from_dict``/``to_dict``; a bad value raises ``RuleError`` naming
  its JSON path (``metrics[2].mechanism.tiers[1].min_improvement``).
- ``rate_card`` — price per outcome unit; how often one participant is paid
  per metric (``payable_occurrences``); per-participant, per-metric and
  contract caps applied in date order.
- ``comparison`` — improvement over a comparison group against cohort and
  pooled thresholds (per-point price or tiers); attrition-adjusted targets.
- ``absolute`` — a price per unit of absolute difference from a comparison group
  (``absolute_difference``), and the amount of the band an absolute rate falls in
  (``banded_rate``).
- ``savings_share`` — a share of cost avoided, switching share once the
  investors' principal and return are covered.
- ``payers`` — payer splits: the shares of the payers for some cohorts and/or
  metrics, overriding the programme-wide shares there.
- ``unpriced`` — results on a ``tracked`` or ``undisclosed`` metric: not payable,
  for 0, with the reason.
- ``variations`` — the contract's dated variations applied to priced claims
  (a new price from a date, a pause, a cohort removed), before the caps.
- ``compute`` — the entry point: termination, pricing, caps, lines, co-payer
  split with ``sib.money.allocate``, the ``OutcomePaymentPlan``.

Every mechanism turns results into ``Claim`` s (an amount priced for named
result ids); caps and rules turn claims, or parts of them, into
``NotPayable`` items with a reason. Nothing is dropped silently: the paid
amounts plus the capped-off amounts equal what was priced.

Money is always an ``int`` of minor units. Rounding is documented where it
happens: improvements and rates to 0.0001 half even before thresholds;
money computed from a Decimal to the cent half up.
"""

from outcomes.absolute_mechanisms import RateBand
from outcomes.mechanisms import (
    AbsoluteDifferenceMechanism,
    BandedRateMechanism,
    ComparisonMechanism,
    Direction,
    MetricRule,
    RateCardMechanism,
    SavingsShareMechanism,
    TargetMechanism,
    Tier,
    TierBasis,
)
from outcomes.rule_json import RuleError
from payments.rules.absolute import BandedRateResult, DifferenceResult
from payments.rules.comparison import (
    ComparisonResult,
    TargetResult,
    attrition_adjusted_target,
    improvement,
    pooled_improvement,
)
from payments.rules.compute import (
    CapHeadroom,
    NotPayableLine,
    OutcomePaymentPlan,
    PayerAmount,
    PaymentLine,
    compute_outcome_payments,
)
from payments.rules.programme import (
    Indexation,
    IndexFactor,
    NotPayableReason,
    PayerShare,
    ProgrammeRules,
)
from payments.rules.rate_card import AggregateResult, ParticipantOutcome, payable_occurrences
from payments.rules.savings_share import SavingsResult
from payments.rules.unpriced import UnpricedResult

__all__ = [
    "AbsoluteDifferenceMechanism",
    "AggregateResult",
    "BandedRateMechanism",
    "BandedRateResult",
    "CapHeadroom",
    "ComparisonMechanism",
    "ComparisonResult",
    "DifferenceResult",
    "Direction",
    "IndexFactor",
    "Indexation",
    "MetricRule",
    "NotPayableLine",
    "NotPayableReason",
    "OutcomePaymentPlan",
    "ParticipantOutcome",
    "PayerAmount",
    "PayerShare",
    "PaymentLine",
    "ProgrammeRules",
    "RateBand",
    "RateCardMechanism",
    "RuleError",
    "SavingsResult",
    "SavingsShareMechanism",
    "TargetMechanism",
    "TargetResult",
    "Tier",
    "TierBasis",
    "UnpricedResult",
    "attrition_adjusted_target",
    "compute_outcome_payments",
    "improvement",
    "payable_occurrences",
    "pooled_improvement",
]
