"""The rules the database itself keeps for results, so that no code path can skip them.

- Results: the programme must take new entries (not closed or terminated); the metric,
  cohort and period must be the programme's and the metric must be measured for them;
  an amendment must correct a verified, not yet superseded result of the same cell.
- Decisions (verify/reject): only a lead evaluator of the programme, never the submitter
  (four eyes); a second verified amendment of one result is refused.
- Reviews: only a public funder of the programme, only of a verified result.
- Participant records: never updated; deleted only when their result was rejected;
  (result, metric, cohort, period) checked by one composite foreign key.
- Two IMMUTABLE SQL helpers the CSV import uses to test text before casting it.

All refusals raise SQLSTATE 23514 (check_violation): Django turns it into IntegrityError.
"""

from django.db import migrations

SQL = r"""
CREATE FUNCTION outcomes_result_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    status text;
    amended RECORD;
BEGIN
    SELECT p.status INTO status FROM sib_programme p WHERE p.id = NEW.programme_id;
    IF status NOT IN ('draft', 'active') THEN
        RAISE EXCEPTION 'outcomes: programme % is %, it accepts no new results',
            NEW.programme_id, status USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM outcomes_metric m
        JOIN outcomes_metric_cohort mc ON mc.metric_id = m.id AND mc.cohort_id = NEW.cohort_id
        JOIN outcomes_metric_period mp ON mp.metric_id = m.id AND mp.measurementperiod_id = NEW.period_id
        WHERE m.id = NEW.metric_id AND m.programme_id = NEW.programme_id
    ) THEN
        RAISE EXCEPTION 'outcomes: metric %, cohort % and period % do not belong together in programme %',
            NEW.metric_id, NEW.cohort_id, NEW.period_id, NEW.programme_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.amends_id IS NOT NULL THEN
        SELECT r.metric_id, r.cohort_id, r.period_id, r.programme_id, d.decision INTO amended
        FROM outcomes_result r LEFT JOIN outcomes_result_decision d ON d.result_id = r.id
        WHERE r.id = NEW.amends_id;
        IF amended.decision IS DISTINCT FROM 'verified' THEN
            RAISE EXCEPTION 'outcomes: only a verified result can be amended'
                USING ERRCODE = 'check_violation';
        END IF;
        IF (amended.metric_id, amended.cohort_id, amended.period_id, amended.programme_id)
           IS DISTINCT FROM (NEW.metric_id, NEW.cohort_id, NEW.period_id, NEW.programme_id) THEN
            RAISE EXCEPTION 'outcomes: an amendment keeps the metric, cohort and period it corrects'
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER outcomes_result_guard BEFORE INSERT ON outcomes_result
FOR EACH ROW EXECUTE FUNCTION outcomes_result_guard();

CREATE FUNCTION outcomes_decision_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER outcomes_decision_guard BEFORE INSERT ON outcomes_result_decision
FOR EACH ROW EXECUTE FUNCTION outcomes_decision_guard();

CREATE FUNCTION outcomes_review_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER outcomes_review_guard BEFORE INSERT ON outcomes_result_review
FOR EACH ROW EXECUTE FUNCTION outcomes_review_guard();

CREATE FUNCTION outcomes_participant_record_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'outcomes: participant records are never updated'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM outcomes_result_decision
        WHERE result_id = OLD.result_id AND decision = 'rejected'
    ) THEN
        RAISE EXCEPTION 'outcomes: participant records are deleted only with a rejected result'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN OLD;
END $$;

CREATE TRIGGER outcomes_participant_record_guard BEFORE UPDATE OR DELETE
ON outcomes_participant_record
FOR EACH ROW EXECUTE FUNCTION outcomes_participant_record_guard();

CREATE FUNCTION outcomes_participant_record_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'outcomes: participant records are never truncated'
        USING ERRCODE = 'check_violation';
END $$;

CREATE TRIGGER outcomes_participant_record_no_truncate BEFORE TRUNCATE
ON outcomes_participant_record
FOR EACH STATEMENT EXECUTE FUNCTION outcomes_participant_record_no_truncate();

ALTER TABLE outcomes_participant_record
    ADD CONSTRAINT participant_record_result_cell
    FOREIGN KEY (result_id, metric_id, cohort_id, period_id)
    REFERENCES outcomes_result (id, metric_id, cohort_id, period_id);

-- YYYY-MM-DD naming a real day. SQL-language and IMMUTABLE so the planner inlines it; no
-- exception handler, because a plpgsql one would open a subtransaction per row.
CREATE FUNCTION outcomes_is_iso_date(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN value !~ '^\d{4}-\d{2}-\d{2}$' THEN false
        WHEN substr(value, 6, 2)::int NOT BETWEEN 1 AND 12 THEN false
        WHEN substr(value, 1, 4)::int < 1 THEN false
        ELSE substr(value, 9, 2)::int BETWEEN 1 AND extract(day FROM (
            make_date(substr(value, 1, 4)::int, substr(value, 6, 2)::int, 1)
            + interval '1 month - 1 day'))::int
    END
$$;

-- A plain decimal that fits numeric(20, 6): optional sign, up to 14 digits, up to 6 decimals.
CREATE FUNCTION outcomes_is_decimal(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT value ~ '^[+-]?\d{1,14}(\.\d{1,6})?$'
$$;

CREATE FUNCTION outcomes_is_count(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT value ~ '^\+?\d{1,9}$'
$$;
"""

REVERSE = """
ALTER TABLE outcomes_participant_record DROP CONSTRAINT participant_record_result_cell;
DROP TRIGGER outcomes_participant_record_no_truncate ON outcomes_participant_record;
DROP TRIGGER outcomes_participant_record_guard ON outcomes_participant_record;
DROP TRIGGER outcomes_review_guard ON outcomes_result_review;
DROP TRIGGER outcomes_decision_guard ON outcomes_result_decision;
DROP TRIGGER outcomes_result_guard ON outcomes_result;
DROP FUNCTION outcomes_participant_record_no_truncate();
DROP FUNCTION outcomes_participant_record_guard();
DROP FUNCTION outcomes_review_guard();
DROP FUNCTION outcomes_decision_guard();
DROP FUNCTION outcomes_result_guard();
DROP FUNCTION outcomes_is_iso_date(text);
DROP FUNCTION outcomes_is_decimal(text);
DROP FUNCTION outcomes_is_count(text);
"""


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
