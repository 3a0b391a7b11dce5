"""Accrual kinds, and the ledger's dates checked by the database.

Every ledger transaction is dated within its programme's contract: not before the
contract starts, not more than ten years after it ends (settlements come late, a date
such as 9999-12-31 never), and new capital (a drawdown) not after the contract's end or
its termination. payments.ledger.date_check says the same in the user's language, and
also refuses a date after today (sib.clock: a rule tests must be able to move, which
PostgreSQL's clock is not); this trigger is what no code path can skip.
"""

from django.db import migrations, models

DATE_CHECK = """
CREATE FUNCTION payments_ledger_date_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    p record;
BEGIN
    SELECT start_date, end_date, termination_date INTO p
      FROM sib_programme WHERE id = NEW.programme_id;
    IF NEW.occurred_on < p.start_date THEN
        RAISE EXCEPTION 'payments: ledger date % is before the contract starts (%)',
            NEW.occurred_on, p.start_date
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_date_in_contract';
    END IF;
    IF NEW.occurred_on > p.end_date + interval '10 years' THEN
        RAISE EXCEPTION 'payments: ledger date % is more than ten years after the contract (%)',
            NEW.occurred_on, p.end_date
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_date_in_contract';
    END IF;
    IF NEW.kind = 'drawdown'
       AND NEW.occurred_on > coalesce(p.termination_date, p.end_date) THEN
        RAISE EXCEPTION 'payments: drawdown dated % after the contract ended (%)',
            NEW.occurred_on, coalesce(p.termination_date, p.end_date)
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_capital_in_contract';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER payments_ledger_date_check
    BEFORE INSERT ON payments_ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_date_check();
"""

DROP_DATE_CHECK = """
DROP TRIGGER payments_ledger_date_check ON payments_ledger_transaction;
DROP FUNCTION payments_ledger_date_check();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0005_audit_history_append_only'),
    ]

    operations = [
        migrations.AlterField(
            model_name='account',
            name='kind',
            field=models.CharField(choices=[('programme_cash', 'Programme cash'), ('payer_receivable', 'Outcome payer receivable'), ('provider_funding', 'Service provider funding'), ('payer_disputed', 'Outcome payer receivable in dispute'), ('guarantee_called', 'Guarantee called, not yet paid'), ('investor_principal', 'Investor principal'), ('investor_return', 'Investor return'), ('guarantee', 'Guarantee'), ('outcome_income', 'Outcome payments earned'), ('payer_advance', 'Outcome payer advance')], max_length=24),
        ),
        migrations.AlterField(
            model_name='ledgertransaction',
            name='kind',
            field=models.CharField(choices=[('drawdown', 'Drawdown'), ('payment_received', 'Outcome payment received'), ('distribution', 'Waterfall distribution'), ('reversal', 'Reversal'), ('outcome_due', 'Outcome payment due'), ('dispute_hold', 'Disputed amount held or released'), ('advance_applied', 'Advance applied'), ('guarantee_call', 'Guarantee call'), ('guarantee_payment', 'Guarantee payment received')], max_length=24),
        ),
        migrations.RunSQL(DATE_CHECK, DROP_DATE_CHECK),
    ]
