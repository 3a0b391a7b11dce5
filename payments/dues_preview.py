"""What a change of the contract would make each payer owe in total: a read, nothing written.

The termination and variation pages confirm a change by showing each payer's due now and
once changed. A payer's due is its outcome payments and the principal redemptions it
owes (payments.position), so the preview is both (issue 11), each from the path that
books it:
- outcome dues: the engine run with and without the change (payments.accrual,
  payments.outcome_payments), the difference added to the ledger's due;
- redemptions: the actual schedule computed on the terms as changed, the redemptions it
  reaches by today (payments.redemption_dues.redemptions_owed), against what the ledger
  shows now (the position's `redemptions`).
So the figure "once changed" is the position the ledger will show after the booking.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from payments.accrual import termination_preview
from payments.position import PayerPosition, programme_position
from payments.redemption_dues import redemptions_owed
from sib.models import Programme


@dataclass(frozen=True)
class PayerChange:
    """One payer's due now and its change once the contract changes (minor units).

    `change` is the whole change, outcome payments and redemption together;
    `redemption_after` what it would owe for principal redemptions (its own line).
    """

    payer: PayerPosition
    change: int
    redemption_after: int = 0

    @property
    def after(self) -> int:
        return self.payer.due + self.change

    @property
    def redemption_change(self) -> int:
        return self.redemption_after - self.payer.redemption

    @property
    def has_redemption(self) -> bool:
        """Whether the payer owes a redemption now or once changed: its line is shown."""
        return bool(self.payer.redemption or self.redemption_after)


@dataclass(frozen=True)
class DuesPreview:
    rows: tuple[PayerChange, ...]

    @property
    def due(self) -> int:
        return sum(row.payer.due for row in self.rows)

    @property
    def change(self) -> int:
        return sum(row.change for row in self.rows)

    @property
    def after(self) -> int:
        return sum(row.after for row in self.rows)

    @property
    def has_redemption(self) -> bool:
        return any(row.has_redemption for row in self.rows)


def dues_preview(
    *, programme: Programme, outcome_change: Mapping[str, int], redemptions: Mapping[str, int]
) -> DuesPreview:
    """Return each payer's due now and once changed.

    `outcome_change`: payer slug -> how much more (negative: less) its outcome payments
    come to; `redemptions`: payer slug -> what it would owe for redemptions, in all.
    """
    rows = []
    for payer in programme_position(programme=programme).payers:
        after = redemptions.get(payer.payer, 0)
        change = outcome_change.get(payer.payer, 0) + after - payer.redemption
        rows.append(PayerChange(payer=payer, change=change, redemption_after=after))
    return DuesPreview(rows=tuple(rows))


def termination_dues_preview(*, programme: Programme, on: date) -> DuesPreview:
    """Return each payer's due now and once the programme is terminated on `on`: its
    outcome payments (payments.accrual.termination_preview) and the redemptions a
    termination on or after a maturity makes it owe. Raises RuleError as the engine."""
    return dues_preview(
        programme=programme,
        outcome_change=termination_preview(programme=programme, on=on),
        redemptions=redemptions_owed(programme=programme, terminated_on=on),
    )
