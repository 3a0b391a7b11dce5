"""A deal's terms as data: tranches, their investors and caps, and the ordered steps.

The engine (payments.engine.waterfall) walks these; the design overview is there.
`validate_terms` refuses terms that do not describe a valid deal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, NamedTuple

from payments.engine.coupon import CouponCap


class WaterfallError(ValueError):
    """Base class of waterfall errors."""


class InvalidTermsError(WaterfallError):
    """The tranches, steps or payments do not describe a valid deal."""


class TrancheKind(StrEnum):
    SENIOR_LOAN = "senior_loan"
    SUBORDINATED_LOAN = "subordinated_loan"
    EQUITY = "equity"
    RECOVERABLE_GRANT = "recoverable_grant"
    GUARANTEE = "guarantee"


@dataclass(frozen=True, slots=True)
class Drawdown:
    on: date
    amount: int


@dataclass(frozen=True, slots=True)
class Investor:
    """An investor's position in one tranche.

    ``commitment`` is informative for lenders; for a guarantor it is the
    cover it gives.
    """

    id: str
    drawdowns: tuple[Drawdown, ...] = ()
    commitment: int = 0


@dataclass(frozen=True, slots=True)
class AnnualRateCap:
    """Return capped at simple interest ``rate`` p.a. (ACT/365) on outstanding principal."""

    rate: Decimal
    kind: ClassVar[str] = "annual_rate"


@dataclass(frozen=True, slots=True)
class IrrCap:
    """Return capped so that the investor's XIRR never exceeds ``rate``."""

    rate: Decimal
    kind: ClassVar[str] = "irr"


@dataclass(frozen=True, slots=True)
class MultipleCap:
    """Total returned (principal and return) capped at ``multiple`` x drawn."""

    multiple: Decimal
    kind: ClassVar[str] = "multiple"


ReturnCap = AnnualRateCap | IrrCap | MultipleCap | CouponCap


@dataclass(frozen=True, slots=True)
class Tranche:
    """A class of capital; ``cap`` None means its return is uncapped.

    A guarantee covers ``cover_percent`` (a percentage: 50 is 50 %; None: all) of the
    principal loss of the tranche it ``protects``, at most ``cover_limit`` (None: no
    limit but the guarantors' commitments).
    """

    id: str
    kind: TrancheKind
    investors: tuple[Investor, ...]
    cap: ReturnCap | None = None
    protects: str | None = None
    cover_percent: Decimal | None = None
    cover_limit: int | None = None

    @property
    def cover(self) -> int:
        """Return the total cover of a guarantee tranche."""
        return sum(investor.commitment for investor in self.investors)


@dataclass(frozen=True, slots=True)
class Fees:
    """Pay ``recipient`` a fixed ``amount`` per payment or a ``share`` of what reaches the step.

    ``cap`` limits the total paid by this step over the whole schedule. An
    unpaid fixed fee is not carried to the next payment.
    """

    recipient: str
    amount: int = 0
    share: Decimal = Decimal(0)
    cap: int | None = None
    kind: ClassVar[str] = "fees"


@dataclass(frozen=True, slots=True)
class Principal:
    """Repay the outstanding drawn principal of ``tranche``."""

    tranche: str
    kind: ClassVar[str] = "principal"


@dataclass(frozen=True, slots=True)
class Return:
    """Pay the return of ``tranche`` up to its cap."""

    tranche: str
    kind: ClassVar[str] = "return"


@dataclass(frozen=True, slots=True)
class GuaranteeReimbursement:
    """Repay the guarantors of ``tranche`` what they paid out on calls."""

    tranche: str
    kind: ClassVar[str] = "guarantee_reimbursement"


@dataclass(frozen=True, slots=True)
class ProviderSuccessFee:
    """Pay the provider a ``share`` of what reaches the step, optionally capped in total."""

    share: Decimal
    recipient: str = "provider"
    cap: int | None = None
    kind: ClassVar[str] = "provider_success_fee"


@dataclass(frozen=True, slots=True)
class InvestorSuccessFee:
    """Pay ``tranche``'s investors a ``share`` of what reaches the step, above any cap.

    Split between the tranche's investors pro rata by commitment (by capital
    drawn when no commitment is known); counted in their return, XIRR and
    MOIC, but never against the tranche's return cap. ``cap`` limits the
    total paid by this step over the whole schedule.
    """

    tranche: str
    share: Decimal
    cap: int | None = None
    kind: ClassVar[str] = "investor_success_fee"


@dataclass(frozen=True, slots=True)
class Recycle:
    """Put money back into the programme, up to ``limit`` in total."""

    limit: int
    recipient: str = "programme"
    kind: ClassVar[str] = "recycle"


@dataclass(frozen=True, slots=True)
class ResidualToPayer:
    """Leave everything still unallocated with the payer."""

    kind: ClassVar[str] = "residual_to_payer"


Step = (
    Fees
    | Principal
    | Return
    | GuaranteeReimbursement
    | ProviderSuccessFee
    | InvestorSuccessFee
    | Recycle
    | ResidualToPayer
)

TRANCHE_STEPS = (Principal, Return, GuaranteeReimbursement)


class Distribution(NamedTuple):
    """Money paid out by one step of the waterfall to one recipient.

    ``tranche`` is None for fees, success fees and recycling; then
    ``recipient`` is the named recipient rather than an investor id.
    """

    on: date
    step_index: int
    step_kind: str
    tranche: str | None
    recipient: str
    amount: int


class GuaranteeCall(NamedTuple):
    """Money paid by guarantors to the investors of the tranche they protect."""

    on: date
    tranche: str
    protects: str
    shortfall: int
    amount: int
    paid_by: tuple[tuple[str, int], ...]
    paid_to: tuple[tuple[str, int], ...]


def require_amount(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidTermsError(f"{what} must be a non-negative int of minor units, got {value!r}")


def _require_share(value: object, what: str) -> None:
    if not isinstance(value, Decimal) or not Decimal(0) <= value <= Decimal(1):
        raise InvalidTermsError(f"{what} must be a Decimal between 0 and 1, got {value!r}")


def _validate_tranche(tranche: Tranche, ids: set[str]) -> None:
    investor_ids = [investor.id for investor in tranche.investors]
    if len(set(investor_ids)) != len(investor_ids):
        raise InvalidTermsError(f"tranche {tranche.id}: duplicate investor")
    for investor in tranche.investors:
        require_amount(investor.commitment, f"commitment of {investor.id}")
        for drawdown in investor.drawdowns:
            require_amount(drawdown.amount, f"drawdown of {investor.id}")
    cap = tranche.cap
    if isinstance(cap, AnnualRateCap | IrrCap) and not cap.rate >= 0:
        raise InvalidTermsError(f"tranche {tranche.id}: negative rate cap")
    if isinstance(cap, IrrCap) and not cap.rate > -1:
        raise InvalidTermsError(f"tranche {tranche.id}: IRR cap must exceed -100%")
    if isinstance(cap, MultipleCap) and not cap.multiple >= 1:
        raise InvalidTermsError(f"tranche {tranche.id}: multiple cap below 1")
    if tranche.kind is TrancheKind.GUARANTEE:
        if tranche.protects not in ids or tranche.protects == tranche.id:
            raise InvalidTermsError(f"guarantee {tranche.id} protects no known tranche")
        if any(investor.drawdowns for investor in tranche.investors):
            # A guarantor's "drawn" capital is what calls take from it.
            raise InvalidTermsError(f"guarantee {tranche.id}: guarantors have no drawdowns")
        if tranche.cover <= 0:
            raise InvalidTermsError(f"guarantee {tranche.id}: no cover")
        percent = tranche.cover_percent
        if percent is not None and not (
            isinstance(percent, Decimal) and Decimal(0) < percent <= Decimal(100)
        ):
            raise InvalidTermsError(
                f"guarantee {tranche.id}: cover_percent must be a Decimal in (0, 100], "
                f"got {percent!r}"
            )
        if tranche.cover_limit is not None:
            require_amount(tranche.cover_limit, f"cover_limit of {tranche.id}")
    elif (tranche.protects, tranche.cover_percent, tranche.cover_limit) != (None, None, None):
        raise InvalidTermsError(f"tranche {tranche.id} is not a guarantee")


# Kept whole (complexity over 15):
# one check per contract term, in the order the format documents them.
def validate_terms(tranches: Sequence[Tranche], steps: Sequence[Step]) -> None:  # noqa: C901
    """Raise InvalidTermsError unless the tranches and steps form a valid deal."""
    by_id = {tranche.id: tranche for tranche in tranches}
    if len(by_id) != len(tranches):
        raise InvalidTermsError("duplicate tranche id")
    for tranche in tranches:
        _validate_tranche(tranche, set(by_id))
    guarded = [t.protects for t in tranches if t.kind is TrancheKind.GUARANTEE]
    if any(by_id[p].kind is TrancheKind.GUARANTEE for p in guarded if p):
        raise InvalidTermsError("a guarantee cannot protect another guarantee")
    for index, step in enumerate(steps):
        if isinstance(step, TRANCHE_STEPS):
            target = by_id.get(step.tranche)
            if target is None:
                raise InvalidTermsError(f"step {index}: unknown tranche {step.tranche!r}")
            is_guarantee = target.kind is TrancheKind.GUARANTEE
            if isinstance(step, Principal) and is_guarantee:
                raise InvalidTermsError(
                    f"step {index}: use guarantee_reimbursement for {target.id}"
                )
            if isinstance(step, GuaranteeReimbursement) and not is_guarantee:
                raise InvalidTermsError(f"step {index}: {target.id} is not a guarantee")
        elif isinstance(step, Fees):
            require_amount(step.amount, f"step {index} amount")
            _require_share(step.share, f"step {index} share")
            if (step.amount > 0) == (step.share > 0):
                raise InvalidTermsError(f"step {index}: fees need exactly one of amount and share")
        elif isinstance(step, ProviderSuccessFee):
            _require_share(step.share, f"step {index} share")
        elif isinstance(step, InvestorSuccessFee):
            _require_share(step.share, f"step {index} share")
            target = by_id.get(step.tranche)
            if target is None or target.kind is TrancheKind.GUARANTEE:
                raise InvalidTermsError(f"step {index}: no investor tranche {step.tranche!r}")
        elif isinstance(step, Recycle):
            require_amount(step.limit, f"step {index} limit")
        elif isinstance(step, ResidualToPayer):
            if index != len(steps) - 1:
                raise InvalidTermsError("residual_to_payer must be the last step")
        else:
            raise InvalidTermsError(f"step {index}: unknown step {step!r}")
        cap = getattr(step, "cap", None)
        if cap is not None:
            require_amount(cap, f"step {index} cap")
