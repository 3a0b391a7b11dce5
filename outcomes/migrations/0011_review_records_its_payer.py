"""A review records the payer whose share its dispute holds, fixed when it is made.

Until now the payer was read from the funder's membership each time the ledger booked
what is due, so revoking the funder's role (or binding it to another payer) moved the
held money. `payer` is now written with the review and checked by the review guard: it
must be the payer the funder is bound to at that moment (none: every payer).

Reviews made before this migration keep `payer_recorded` NULL (the column is added
without a default for the existing rows, then given `true` for new ones): their chained
canonical form is unchanged, so their hashes still verify, and their payer is still read
from the membership. A CHECK added NOT VALID makes every new review record its payer.
"""

from importlib import import_module

import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

COLUMNS = """
ALTER TABLE outcomes_result_review ADD COLUMN payer_recorded boolean;
ALTER TABLE outcomes_result_review ALTER COLUMN payer_recorded SET DEFAULT true;
ALTER TABLE outcomes_result_review ADD CONSTRAINT review_records_its_payer
    CHECK (payer_recorded) NOT VALID;
ALTER TABLE outcomes_resultreviewevent ADD COLUMN payer_recorded boolean;
"""
UNCOLUMNS = """
ALTER TABLE outcomes_result_review DROP CONSTRAINT review_records_its_payer;
ALTER TABLE outcomes_result_review DROP COLUMN payer_recorded;
ALTER TABLE outcomes_resultreviewevent DROP COLUMN payer_recorded;
"""

GUARDS = r"""
CREATE OR REPLACE FUNCTION outcomes_review_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    programme bigint;
    funder_payer bigint;
BEGIN
    SELECT r.programme_id INTO programme FROM outcomes_result r
    JOIN outcomes_result_decision d ON d.result_id = r.id AND d.decision = 'verified'
    WHERE r.id = NEW.result_id;
    IF programme IS NULL THEN
        RAISE EXCEPTION 'outcomes: only a verified result can be accepted or disputed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'outcomes_review_of_verified';
    END IF;
    SELECT organisation_id INTO funder_payer FROM sib_membership
    WHERE user_id = NEW.reviewer_id AND programme_id = programme AND role = 'public_funder';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'outcomes: user % is not a public funder of programme %',
            NEW.reviewer_id, programme
            USING ERRCODE = 'check_violation', CONSTRAINT = 'outcomes_reviewed_by_public_funder';
    END IF;
    IF NEW.payer_id IS DISTINCT FROM funder_payer THEN
        RAISE EXCEPTION 'outcomes: the review names payer % but its funder is bound to payer %',
            NEW.payer_id, funder_payer
            USING ERRCODE = 'check_violation', CONSTRAINT = 'outcomes_review_payer_is_funders';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION outcomes_dispute_withdrawal_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    dispute RECORD;
    payer bigint;
BEGIN
    SELECT v.verdict, v.reviewer_id, v.payer_id, v.payer_recorded, r.programme_id INTO dispute
    FROM outcomes_result_review v JOIN outcomes_result r ON r.id = v.result_id
    WHERE v.id = NEW.review_id;
    IF dispute.verdict IS DISTINCT FROM 'disputed' THEN
        RAISE EXCEPTION 'outcomes: only a dispute can be withdrawn'
            USING ERRCODE = 'check_violation';
    END IF;
    IF dispute.payer_recorded THEN
        payer := dispute.payer_id;
    ELSE  -- a review made before migration 0011
        SELECT organisation_id INTO payer FROM sib_membership
        WHERE user_id = dispute.reviewer_id AND programme_id = dispute.programme_id
          AND role = 'public_funder';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM sib_membership
        WHERE user_id = NEW.withdrawn_by_id AND programme_id = dispute.programme_id
          AND role = 'public_funder'
          AND (NEW.withdrawn_by_id = dispute.reviewer_id OR organisation_id = payer)
    ) THEN
        RAISE EXCEPTION 'outcomes: user % is neither the funder who raised dispute % nor a funder of the same payer',
            NEW.withdrawn_by_id, NEW.review_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
"""

# Going back: the guards as migrations 0009 (review) and 0008 (withdrawal) left them.
_0008 = import_module("outcomes.migrations.0008_dispute_withdrawal")
_0009 = import_module("outcomes.migrations.0009_refusals_name_their_rule")
UNGUARDS = _0009.SQL + _0008.GUARD.replace(
    "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"
).split("CREATE TRIGGER")[0]


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0010_import_jobs"),
        ("sib", "0011_checkpoints_truncate_refused"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name="resultreview",
            name="insert_insert",
        ),
        migrations.AddField(
            model_name="resultreview",
            name="payer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="sib.organisation",
            ),
        ),
        migrations.AddField(
            model_name="resultreviewevent",
            name="payer",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="sib.organisation",
            ),
        ),
        # Not AddField: Django would give the existing rows the default (true).
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(COLUMNS, UNCOLUMNS)],
            state_operations=[
                migrations.AddField(
                    model_name="resultreview",
                    name="payer_recorded",
                    field=models.BooleanField(default=True, editable=False, null=True),
                ),
                migrations.AddField(
                    model_name="resultreviewevent",
                    name="payer_recorded",
                    field=models.BooleanField(default=True, editable=False, null=True),
                ),
            ],
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="resultreview",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "outcomes_resultreviewevent" ("comment", "id", "payer_id", "payer_recorded", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "result_id", "reviewed_at", "reviewer_id", "verdict") VALUES (NEW."comment", NEW."id", NEW."payer_id", NEW."payer_recorded", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."result_id", NEW."reviewed_at", NEW."reviewer_id", NEW."verdict"); RETURN NULL;',  # noqa: E501
                    hash="c6b8b738c60e056ef080b5116094f0bb2b1287e7",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_6ec4a",
                    table="outcomes_result_review",
                    when="AFTER",
                ),
            ),
        ),
        migrations.RunSQL(GUARDS, UNGUARDS),
    ]
