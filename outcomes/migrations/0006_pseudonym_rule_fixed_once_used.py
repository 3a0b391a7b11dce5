"""A programme's pseudonym rule cannot change once it holds participant records.

Its pseudonyms were computed under that rule from raw ids the ledger never kept: under
another rule the same person would come back as a new participant (and be paid again).
"""

from django.db import migrations

SQL = r"""
CREATE FUNCTION outcomes_pseudonym_rule_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM outcomes_participant_record r
        JOIN outcomes_metric m ON m.id = r.metric_id
        WHERE m.programme_id = NEW.id
    ) THEN
        RAISE EXCEPTION 'outcomes: programme % holds participant records; its pseudonym rule stays %',
            NEW.id, OLD.pseudonym_rule USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER outcomes_pseudonym_rule_guard BEFORE UPDATE OF pseudonym_rule ON sib_programme
FOR EACH ROW WHEN (OLD.pseudonym_rule IS DISTINCT FROM NEW.pseudonym_rule)
EXECUTE FUNCTION outcomes_pseudonym_rule_guard();
"""

REVERSE = r"""
DROP TRIGGER outcomes_pseudonym_rule_guard ON sib_programme;
DROP FUNCTION outcomes_pseudonym_rule_guard();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0005_audit_history_of_facts"),
        ("sib", "0004_programme_pseudonym_rule"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE)]
