"""Decision and review refusals name their rule, so the services map a name, not text.

The same checks as 0002; each RAISE now carries `CONSTRAINT = '<rule>'`, which psycopg
reports as `diag.constraint_name` (outcomes/refusals.py maps it to a code and message).
"""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION outcomes_decision_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
BEGIN
    SELECT submitted_by_id, programme_id, amends_id INTO r
    FROM outcomes_result WHERE id = NEW.result_id;
    IF r.submitted_by_id = NEW.decided_by_id THEN
        RAISE EXCEPTION 'outcomes: four eyes: user % cannot decide on their own submission %',
            NEW.decided_by_id, NEW.result_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'outcomes_four_eyes';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM sib_membership
        WHERE user_id = NEW.decided_by_id AND programme_id = r.programme_id
          AND role = 'lead_evaluator'
    ) THEN
        RAISE EXCEPTION 'outcomes: user % is not a lead evaluator of programme %',
            NEW.decided_by_id, r.programme_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'outcomes_decided_by_lead_evaluator';
    END IF;
    IF NEW.decision = 'verified' AND r.amends_id IS NOT NULL THEN
        -- Two amendments of one result verified at once would both supersede it: serialise
        -- on the amended result (a row lock would need UPDATE, which the app role lacks).
        PERFORM pg_advisory_xact_lock(23514, (r.amends_id % 2147483647)::int);
        IF EXISTS (
            SELECT 1 FROM outcomes_result a
            JOIN outcomes_result_decision d ON d.result_id = a.id AND d.decision = 'verified'
            WHERE a.amends_id = r.amends_id AND a.id <> NEW.result_id
        ) THEN
            RAISE EXCEPTION 'outcomes: result % is already superseded by a verified amendment',
                r.amends_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'outcomes_superseded_once';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION outcomes_review_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    programme bigint;
BEGIN
    SELECT r.programme_id INTO programme FROM outcomes_result r
    JOIN outcomes_result_decision d ON d.result_id = r.id AND d.decision = 'verified'
    WHERE r.id = NEW.result_id;
    IF programme IS NULL THEN
        RAISE EXCEPTION 'outcomes: only a verified result can be accepted or disputed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'outcomes_review_of_verified';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM sib_membership
        WHERE user_id = NEW.reviewer_id AND programme_id = programme AND role = 'public_funder'
    ) THEN
        RAISE EXCEPTION 'outcomes: user % is not a public funder of programme %',
            NEW.reviewer_id, programme
            USING ERRCODE = 'check_violation', CONSTRAINT = 'outcomes_reviewed_by_public_funder';
    END IF;
    RETURN NEW;
END $$;
"""

REVERSE = r"""
CREATE OR REPLACE FUNCTION outcomes_decision_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
BEGIN
    SELECT submitted_by_id, programme_id, amends_id INTO r
    FROM outcomes_result WHERE id = NEW.result_id;
    IF r.submitted_by_id = NEW.decided_by_id THEN
        RAISE EXCEPTION 'outcomes: four eyes: user % cannot decide on their own submission %',
            NEW.decided_by_id, NEW.result_id USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM sib_membership
        WHERE user_id = NEW.decided_by_id AND programme_id = r.programme_id
          AND role = 'lead_evaluator'
    ) THEN
        RAISE EXCEPTION 'outcomes: user % is not a lead evaluator of programme %',
            NEW.decided_by_id, r.programme_id USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.decision = 'verified' AND r.amends_id IS NOT NULL THEN
        -- Two amendments of one result verified at once would both supersede it: serialise
        -- on the amended result (a row lock would need UPDATE, which the app role lacks).
        PERFORM pg_advisory_xact_lock(23514, (r.amends_id % 2147483647)::int);
        IF EXISTS (
            SELECT 1 FROM outcomes_result a
            JOIN outcomes_result_decision d ON d.result_id = a.id AND d.decision = 'verified'
            WHERE a.amends_id = r.amends_id AND a.id <> NEW.result_id
        ) THEN
            RAISE EXCEPTION 'outcomes: result % is already superseded by a verified amendment',
                r.amends_id USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION outcomes_review_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    programme bigint;
BEGIN
    SELECT r.programme_id INTO programme FROM outcomes_result r
    JOIN outcomes_result_decision d ON d.result_id = r.id AND d.decision = 'verified'
    WHERE r.id = NEW.result_id;
    IF programme IS NULL THEN
        RAISE EXCEPTION 'outcomes: only a verified result can be accepted or disputed'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM sib_membership
        WHERE user_id = NEW.reviewer_id AND programme_id = programme AND role = 'public_funder'
    ) THEN
        RAISE EXCEPTION 'outcomes: user % is not a public funder of programme %',
            NEW.reviewer_id, programme USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0008_dispute_withdrawal")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
