"""Separation of duties, in the database: no code path grants conflicting roles.

On one programme a user never holds a fund-manager role together with an evaluator,
lead-evaluator or public-funder role, nor an evaluator or lead-evaluator role together
with a public-funder role (DOMAIN.md). sib.permissions.INCOMPATIBLE_ROLES says the same
for the service's clear message; this trigger is what no code path can skip.

Two grants to one user on one programme could each miss the other (neither sees the
other's uncommitted row), so the check takes a transaction lock per (user, programme)
first: the second waits for the first to commit and then sees its row.
"""

from django.db import migrations

SEPARATION_OF_DUTIES = """
CREATE FUNCTION sib_membership_separation_of_duties() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    clash text;
BEGIN
    PERFORM pg_advisory_xact_lock(
        hashtextextended('sib_membership:' || NEW.user_id || ':' || NEW.programme_id, 0));
    SELECT string_agg(m.role, ', ' ORDER BY m.role) INTO clash
      FROM sib_membership m
     WHERE m.user_id = NEW.user_id AND m.programme_id = NEW.programme_id AND m.id <> NEW.id
       AND ((NEW.role = 'fund_manager'
             AND m.role IN ('evaluator', 'lead_evaluator', 'public_funder'))
         OR (m.role = 'fund_manager'
             AND NEW.role IN ('evaluator', 'lead_evaluator', 'public_funder'))
         OR (NEW.role = 'public_funder' AND m.role IN ('evaluator', 'lead_evaluator'))
         OR (m.role = 'public_funder' AND NEW.role IN ('evaluator', 'lead_evaluator')));
    IF clash IS NOT NULL THEN
        RAISE EXCEPTION 'separation of duties: user % is % on programme % and cannot also be %',
            NEW.user_id, clash, NEW.programme_id, NEW.role
            USING ERRCODE = 'check_violation', CONSTRAINT = 'membership_separation_of_duties';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER sib_membership_separation_of_duties
    AFTER INSERT OR UPDATE OF user_id, programme_id, role ON sib_membership
    FOR EACH ROW EXECUTE FUNCTION sib_membership_separation_of_duties();
"""

DROP = """
DROP TRIGGER IF EXISTS sib_membership_separation_of_duties ON sib_membership;
DROP FUNCTION IF EXISTS sib_membership_separation_of_duties();
"""


class Migration(migrations.Migration):
    dependencies = [("sib", "0009_chain_head_completeness_and_truncate_guards")]

    operations = [migrations.RunSQL(SEPARATION_OF_DUTIES, DROP)]
