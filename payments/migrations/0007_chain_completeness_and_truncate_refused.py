"""Every ledger transaction and contract version has its chain entry; no TRUNCATE.

The completeness triggers are deferred to commit: a transaction row, its legs and its
chain entry are written in any order within one database transaction. They look at the
chain kind, not the transaction's own kind, so new kinds of money movement need nothing.
"""

from django.db import migrations

from sib.db.guards import chain_entry_required, truncate_refused


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0006_accrual_kinds"),
        ("sib", "0009_chain_head_completeness_and_truncate_guards"),
    ]

    operations = [
        chain_entry_required(
            "payments_ledger_transaction",
            "ledger_transaction",
            trigger="payments_transaction_chained",
            programme_column="programme_id",
        ),
        chain_entry_required(
            "payments_contract_version",
            "payments.contract_version",
            trigger="payments_contract_version_chained",
            programme_column="programme_id",
        ),
        truncate_refused(
            "payments_account",
            "payments_contract_version",
            "payments_drawdown",
            "payments_ledger_transaction",
            "payments_leg",
            "payments_outcome_payment_line",
            "payments_schedule_version",
            "payments_commitmentevent",
            "payments_paymenttermsevent",
            "payments_trancheevent",
        ),
    ]
