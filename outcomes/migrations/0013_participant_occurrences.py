"""Let a metric that pays a participant more than once hold several records per period.

A rate card's `payable_per_participant` (outcomes.mechanisms) may pay one participant up
to N times, or for each occurrence: someone housed twice in one year is two outcomes.
The unique rule was one record per participant × metric × period. It becomes one per
participant × metric × period × `occurrence`, NULLS NOT DISTINCT, where `occurrence` is
null for a metric paid once (the rule unchanged: a second record of the period is still
refused by the index, races included) and the date achieved for the others (one record
per day: two events the same day cannot be told apart).

The statement trigger that checks new records against their result (0003, 0004) also
checks that `occurrence` follows the metric, in the same pass over the distinct cells: a
record cannot claim a second place in a period its metric pays once, nor an occurrence
other than its date achieved. Reversing fails while two records of a period exist.
"""

from django.db import migrations, models

CHECK = """
CREATE OR REPLACE FUNCTION outcomes_participant_records_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    problem text;
BEGIN
    SELECT CASE WHEN r.id IS NULL THEN 'cell'
                WHEN d.result_id IS NOT NULL THEN 'decided'
                ELSE 'occurrence' END INTO problem
    FROM (SELECT DISTINCT result_id, metric_id, cohort_id, period_id,
                 occurrence IS NULL AS once, occurrence <> achieved_on AS moved
          FROM new_records) n
    LEFT JOIN outcomes_result r ON r.id = n.result_id AND r.metric_id = n.metric_id
         AND r.cohort_id = n.cohort_id AND r.period_id = n.period_id
    LEFT JOIN outcomes_result_decision d ON d.result_id = n.result_id
    LEFT JOIN outcomes_metric m ON m.id = n.metric_id
    WHERE r.id IS NULL OR d.result_id IS NOT NULL OR n.moved
       OR n.once <> (coalesce(m.mechanism->>'payable_per_participant', '1') = '1')
    ORDER BY r.id IS NULL DESC, d.result_id IS NOT NULL DESC
    LIMIT 1;
    IF problem = 'cell' THEN
        RAISE EXCEPTION 'outcomes: a participant record does not match its result'
            USING ERRCODE = 'foreign_key_violation';
    ELSIF problem = 'decided' THEN
        RAISE EXCEPTION 'outcomes: records cannot be added to a verified or rejected result'
            USING ERRCODE = 'check_violation';
    ELSIF problem = 'occurrence' THEN
        -- The occurrence is the date achieved when the metric pays more than once, else null.
        RAISE EXCEPTION 'outcomes: a participant record''s occurrence does not follow its metric'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""

CHECK_BEFORE = """
CREATE OR REPLACE FUNCTION outcomes_participant_records_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    problem text;
BEGIN
    SELECT CASE WHEN r.id IS NULL THEN 'cell' ELSE 'decided' END INTO problem
    FROM (SELECT DISTINCT result_id, metric_id, cohort_id, period_id FROM new_records) n
    LEFT JOIN outcomes_result r ON r.id = n.result_id AND r.metric_id = n.metric_id
         AND r.cohort_id = n.cohort_id AND r.period_id = n.period_id
    LEFT JOIN outcomes_result_decision d ON d.result_id = n.result_id
    WHERE r.id IS NULL OR d.result_id IS NOT NULL
    ORDER BY r.id IS NULL DESC
    LIMIT 1;
    IF problem = 'cell' THEN
        RAISE EXCEPTION 'outcomes: a participant record does not match its result'
            USING ERRCODE = 'foreign_key_violation';
    ELSIF problem = 'decided' THEN
        RAISE EXCEPTION 'outcomes: records cannot be added to a verified or rejected result'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0012_result_additional")]

    operations = [
        migrations.AddField(
            model_name="participantrecord",
            name="occurrence",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RemoveConstraint(
            model_name="participantrecord", name="participant_once_per_metric_period"
        ),
        migrations.AddConstraint(
            model_name="participantrecord",
            constraint=models.UniqueConstraint(
                fields=("metric", "period", "pseudonym", "occurrence"),
                name="participant_once_per_metric_period_occurrence",
                nulls_distinct=False,
            ),
        ),
        migrations.RunSQL(CHECK, CHECK_BEFORE),
    ]
