"""The balance check finds a transaction's legs through their transaction, whatever the statistics.

`payments_ledger_transaction_check` (payments.0002) runs at commit for every ledger
transaction and every leg inserted. It joined the legs to their accounts and transaction in
one query. When the statistics say `payments_leg` is empty (autovacuum, running during a
bulk load, counts the load's rows, not yet committed, as not there: reltuples 0 over the
table's pages), the planner costs every path to the legs alike and may take the one that
merges with the accounts: the whole account_id index, each leg filtered by transaction. A
programme's legs are on a handful of accounts, so each check then read every leg of the
load: 20,000 drawdowns committed in 457 s instead of 8 s (bench/chain_bulk_bench.py).
PL/pgSQL keeps that plan for the rest of the session.

The same rule, the legs read first, on their own (a MATERIALIZED CTE: planned apart, with
no order asked of it), by `transaction_id`: the only paths are that index and a sequential
scan, and the planner prices a sequential scan by the table's real size. Then the accounts
and the transaction, each by primary key. The errors, their order and codes are unchanged.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION payments_ledger_transaction_check() RETURNS trigger
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
    -- The legs by their transaction's index, planned on their own: joined to the accounts
    -- in one query, a plan made while the statistics call the table empty may read every
    -- leg of an account instead (payments.0016).
    WITH legs AS MATERIALIZED (
        SELECT account_id, currency, debit, credit FROM payments_leg
         WHERE transaction_id = tx_id
    )
    SELECT coalesce(sum(n), 0),
           string_agg(currency || ' debit ' || d || ' credit ' || c, ', ')
               FILTER (WHERE d <> c),
           coalesce(bool_or(wrong_place), false)
      INTO leg_count, unbalanced, misplaced
      FROM (SELECT l.currency, count(*) AS n, sum(l.debit) AS d, sum(l.credit) AS c,
                   bool_or(a.currency <> l.currency OR a.programme_id <> t.programme_id)
                       AS wrong_place
              FROM legs l
              JOIN payments_account a ON a.id = l.account_id
              JOIN payments_ledger_transaction t ON t.id = tx_id
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
"""

# payments.0002's, put back by the reverse migration (and by bench/chain_bulk_bench.py,
# inside a transaction it rolls back, to measure it beside the new one).
FORMER_FUNCTION = """
CREATE OR REPLACE FUNCTION payments_ledger_transaction_check() RETURNS trigger
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
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0015_coupon_variation_terms_checks")]

    operations = [migrations.RunSQL(FUNCTION, FORMER_FUNCTION)]
