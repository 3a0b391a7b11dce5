"""The balance rule in the database: no code path can commit an unbalanced transaction.

At commit (DEFERRABLE INITIALLY DEFERRED, so the transaction row and its legs can be
inserted in any order first), every ledger transaction touched must have at least two legs,
debits equal to credits in each currency, and each leg in its account's currency on an
account of the transaction's own programme. payments.ledger fires the check early with
SET CONSTRAINTS ... IMMEDIATE so errors surface where the posting is made.
"""

from django.db import migrations

CHECK_FUNCTION = """
CREATE FUNCTION payments_ledger_transaction_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    tx_id bigint;
    leg_count bigint;
    unbalanced text;
    misplaced boolean;
BEGIN
    IF TG_TABLE_NAME = 'payments_leg' THEN
        tx_id := NEW.transaction_id;
    ELSE
        tx_id := NEW.id;
    END IF;
    SELECT coalesce(sum(n), 0),
           string_agg(currency || ' debit ' || d || ' credit ' || c, ', ')
               FILTER (WHERE d <> c),
           coalesce(bool_or(wrong_place), false)
      INTO leg_count, unbalanced, misplaced
      FROM (SELECT l.currency, count(*) AS n, sum(l.debit) AS d, sum(l.credit) AS c,
                   bool_or(a.currency <> l.currency OR a.programme_id <> t.programme_id)
                       AS wrong_place
              FROM payments_leg l
              JOIN payments_account a ON a.id = l.account_id
              JOIN payments_ledger_transaction t ON t.id = l.transaction_id
             WHERE l.transaction_id = tx_id
             GROUP BY l.currency) per_currency;
    IF leg_count < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has % leg(s); at least 2 are required',
            tx_id, leg_count USING ERRCODE = 'check_violation';
    END IF;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: %', tx_id, unbalanced
            USING ERRCODE = 'check_violation';
    END IF;
    IF misplaced THEN
        RAISE EXCEPTION 'ledger transaction % has a leg on another programme''s account '
            'or in a currency other than its account''s', tx_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER payments_leg_balanced
    AFTER INSERT ON payments_leg
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_transaction_check();

CREATE CONSTRAINT TRIGGER payments_transaction_balanced
    AFTER INSERT ON payments_ledger_transaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_transaction_check();
"""

DROP = """
DROP TRIGGER IF EXISTS payments_transaction_balanced ON payments_ledger_transaction;
DROP TRIGGER IF EXISTS payments_leg_balanced ON payments_leg;
DROP FUNCTION IF EXISTS payments_ledger_transaction_check();
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_ledger")]

    operations = [migrations.RunSQL(CHECK_FUNCTION, DROP)]
