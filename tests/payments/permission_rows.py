from datetime import date

from tests.permissions.rows import ALL_ROLES, EV, FM, FUNDER, INV, LEAD, scoped


def _transaction_id(programme):  # type: ignore[no-untyped-def]
    from payments import services
    from payments.models import Commitment
    from sib.models import Organisation

    investor = Organisation.objects.get(slug=f"{programme.slug}-investor")
    commitment = Commitment.objects.filter(programme=programme).first()
    if commitment is None:
        tranche = services.tranche_create(
            programme=programme, key="matrix", name="Matrix", kind="senior_loan", priority=1
        )
        commitment = services.commitment_create(
            tranche=tranche, investor=investor, amount=1000, committed_on=date(2026, 1, 1)
        )
    drawdown = services.drawdown_record(
        commitment=commitment, called_on=date(2026, 2, 1), amount=1, actor=None
    )
    return drawdown.transaction_id


ROWS = {
    "tranche_list": scoped(*ALL_ROLES),
    "tranche_create": scoped(FM),
    "programme_variation_list": scoped(FM, FUNDER),
    "programme_variation_create": scoped(FM),
    "commitment_list": scoped(FM, INV),
    "commitment_aggregate_list": scoped(FM, FUNDER),
    "commitment_create": scoped(FM),
    "drawdown_list": scoped(FM, INV),
    "drawdown_create": scoped(FM),
    "payment_received_create": scoped(FM),
    "joint_payment_received_create": scoped(FM),
    "credit_refund_create": scoped(FM),
    "ledger_account_list": scoped(FM),
    "ledger_transaction_list": scoped(FM),
    "ledger_transaction_reverse": scoped(FM),
    "ledger_verify": scoped(FM, EV, LEAD, FUNDER),
    "position_retrieve": scoped(*ALL_ROLES),
    # Outcome payments and schedules (payments/apis_schedules.py).
    "outcome_payment_list": scoped(FM, FUNDER),
    "schedule_retrieve": scoped(FM),
    "schedule_scenario_retrieve": scoped(FM),
    "investor_statement_retrieve": scoped(FM, INV),
    "distribution_record": scoped(FM),
    "distribution_compared_list": scoped(FM),
    "guarantee_call_create": scoped(FM),
    "guarantee_payment_create": scoped(FM),
}

PARAMS = {"transaction_id": _transaction_id, "percent": lambda programme: 75}
