"""Money records of a programme: the capital structure and the double-entry ledger.

The ledger's design (accounts, transactions, legs, sign convention, insert-only, chain) is
explained once, at the top of payments/ledger.py.
"""

from payments.models.capital import CapType, Commitment, Drawdown, Tranche, TrancheKind
from payments.models.joint_payments import JointPayment
from payments.models.ledger import (
    DEBIT_NORMAL,
    Account,
    AccountKind,
    LedgerTransaction,
    Leg,
    TransactionKind,
)
from payments.models.outcome_payments import OutcomePaymentLine  # noqa: F401
from payments.models.schedules import (  # noqa: F401
    ContractVersion,
    PaymentTerms,
    ScheduleVersion,
    StatementVersion,
)
from payments.models.variations import ProgrammeVariation, VariationKind

__all__ = [
    "DEBIT_NORMAL",
    "Account",
    "AccountKind",
    "CapType",
    "Commitment",
    "Drawdown",
    "JointPayment",
    "LedgerTransaction",
    "Leg",
    "ProgrammeVariation",
    "Tranche",
    "TrancheKind",
    "TransactionKind",
    "VariationKind",
]
