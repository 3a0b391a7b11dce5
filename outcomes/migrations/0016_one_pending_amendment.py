"""A verified result has at most one amendment awaiting its decision at a time (issue 11/12).

"Awaiting its decision" is a fact of two tables (an amendment with no row in
outcomes_result_decision), which a partial unique index cannot express: a BEFORE INSERT
trigger keeps the rule instead, raising with `CONSTRAINT = 'outcomes_one_pending_amendment'`
(outcomes/refusals.py maps the name). It takes the advisory lock the decision guard takes
on the amended result (0009), so two amendments proposed at once, or one proposed while
the pending one is being verified, are serialised and the second sees the first.
"""

from django.db import migrations

SQL = r"""
CREATE FUNCTION outcomes_one_pending_amendment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pending bigint;
BEGIN
    IF NEW.amends_id IS NULL THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(23514, (NEW.amends_id % 2147483647)::int);
    SELECT a.id INTO pending FROM outcomes_result a
    WHERE a.amends_id = NEW.amends_id
      AND NOT EXISTS (SELECT 1 FROM outcomes_result_decision d WHERE d.result_id = a.id)
    ORDER BY a.id LIMIT 1;
    IF pending IS NOT NULL THEN
        RAISE EXCEPTION 'outcomes: result % already has an amendment awaiting its decision (%)',
            NEW.amends_id, pending
            USING ERRCODE = 'check_violation', CONSTRAINT = 'outcomes_one_pending_amendment';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER outcomes_one_pending_amendment BEFORE INSERT ON outcomes_result
FOR EACH ROW EXECUTE FUNCTION outcomes_one_pending_amendment();
"""

REVERSE = r"""
DROP TRIGGER outcomes_one_pending_amendment ON outcomes_result;
DROP FUNCTION outcomes_one_pending_amendment();
"""


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0015_import_checks")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
