"""A credit refund (issue 11): money paid back to a payer out of the credit it holds.

The transaction kinds are the field's choices; the database keeps no CHECK on them (none
was ever added: payments_ledger_date_check reads `kind` for drawdowns only), so this
migration only records the new choice.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0021_redemption_due'),
    ]

    operations = [
        migrations.AlterField(
            model_name='ledgertransaction',
            name='kind',
            field=models.CharField(choices=[('drawdown', 'Drawdown'), ('payment_received', 'Outcome payment received'), ('distribution', 'Waterfall distribution'), ('reversal', 'Reversal'), ('outcome_due', 'Outcome payment due'), ('dispute_hold', 'Disputed amount held or released'), ('advance_applied', 'Advance applied'), ('guarantee_call', 'Guarantee call'), ('guarantee_payment', 'Guarantee payment received'), ('redemption_due', 'Principal redemption due'), ('credit_refund', 'Credit refunded to a payer')], max_length=24),
        ),
    ]
