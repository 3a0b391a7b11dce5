"""A dispute can be withdrawn: an insert-only, chained record, guarded like a review.

The guard refuses a withdrawal of anything but a dispute, and from anyone but a public
funder of the programme who raised the dispute or is bound to the same payer. Like the
other chained facts: a chain entry required at commit, TRUNCATE refused (table and its
audit events); the application role's privileges follow from `insert_only`.
"""

import django.db.models.deletion
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models

from sib.db.guards import chain_entry_required, truncate_refused

GUARD = r"""
CREATE FUNCTION outcomes_dispute_withdrawal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    dispute RECORD;
    payer bigint;
BEGIN
    SELECT v.verdict, v.reviewer_id, r.programme_id INTO dispute
    FROM outcomes_result_review v JOIN outcomes_result r ON r.id = v.result_id
    WHERE v.id = NEW.review_id;
    IF dispute.verdict IS DISTINCT FROM 'disputed' THEN
        RAISE EXCEPTION 'outcomes: only a dispute can be withdrawn'
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT organisation_id INTO payer FROM sib_membership
    WHERE user_id = dispute.reviewer_id AND programme_id = dispute.programme_id
      AND role = 'public_funder';
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

CREATE TRIGGER outcomes_dispute_withdrawal_guard BEFORE INSERT ON outcomes_dispute_withdrawal
FOR EACH ROW EXECUTE FUNCTION outcomes_dispute_withdrawal_guard();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS outcomes_dispute_withdrawal_guard ON outcomes_dispute_withdrawal;
DROP FUNCTION IF EXISTS outcomes_dispute_withdrawal_guard();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0007_chain_completeness_and_truncate_refused"),
        ("pghistory", "0007_auto_20250421_0444"),
        ("sib", "0009_chain_head_completeness_and_truncate_guards"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DisputeWithdrawal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reason", models.TextField()),
                ("withdrawn_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "review",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="withdrawal",
                        to="outcomes.resultreview",
                    ),
                ),
                (
                    "withdrawn_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "db_table": "outcomes_dispute_withdrawal",
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="DisputeWithdrawalEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("reason", models.TextField()),
                ("withdrawn_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "pgh_context",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="pghistory.context",
                    ),
                ),
                (
                    "pgh_obj",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="events",
                        to="outcomes.disputewithdrawal",
                    ),
                ),
                (
                    "review",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to="outcomes.resultreview",
                    ),
                ),
                (
                    "withdrawn_by",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        related_query_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.AddConstraint(
            model_name="disputewithdrawal",
            constraint=models.CheckConstraint(
                condition=models.Q(("reason", ""), _negated=True), name="withdrawal_has_reason"
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="disputewithdrawal",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="08962c2a6b2fece568563140054beb224b8404ba",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_insert_only_408ac",
                    table="outcomes_dispute_withdrawal",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="disputewithdrawal",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "outcomes_disputewithdrawalevent" ("id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "review_id", "withdrawn_at", "withdrawn_by_id") VALUES (NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."reason", NEW."review_id", NEW."withdrawn_at", NEW."withdrawn_by_id"); RETURN NULL;',
                    hash="271ceef4fdcfc388785b2af0eb9ce68263222dc4",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_10a85",
                    table="outcomes_dispute_withdrawal",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="disputewithdrawalevent",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="76cea37f51fbc1f3aa0ffbc24a35cc4c165ec363",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_d75d9",
                    table="outcomes_disputewithdrawalevent",
                    when="BEFORE",
                ),
            ),
        ),
        migrations.RunSQL(GUARD, UNGUARD),
        chain_entry_required(
            "outcomes_dispute_withdrawal",
            "outcomes.dispute_withdrawal",
            trigger="outcomes_dispute_withdrawal_chained",
        ),
        truncate_refused("outcomes_dispute_withdrawal", "outcomes_disputewithdrawalevent"),
    ]
