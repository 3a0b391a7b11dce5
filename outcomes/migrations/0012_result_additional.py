"""A result may be declared additional to the other results of its cell, with a reason.

outcomes.cells: a second result for a metric × cohort × period is an amendment, a final
after interim results, or declared additional (both then count). Existing results get
`additional` false; the chained canonical form carries the two columns only when a
result is additional (outcomes.chain_kinds), so the hashes already chained still verify.
"""

import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0011_review_records_its_payer"),
        ("sib", "0011_checkpoints_truncate_refused"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name="result",
            name="insert_insert",
        ),
        migrations.AddField(
            model_name="result",
            name="additional",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="result",
            name="additional_reason",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AddField(
            model_name="resultevent",
            name="additional",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="resultevent",
            name="additional_reason",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="result",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "outcomes_resultevent" ("additional", "additional_reason", "amendment_reason", "amends_id", "batch_id", "cohort_id", "comparison_sample_size", "comparison_value", "from_participants", "id", "metric_id", "note", "period_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "programme_id", "sample_size", "stage", "submitted_at", "submitted_by_id", "value") VALUES (NEW."additional", NEW."additional_reason", NEW."amendment_reason", NEW."amends_id", NEW."batch_id", NEW."cohort_id", NEW."comparison_sample_size", NEW."comparison_value", NEW."from_participants", NEW."id", NEW."metric_id", NEW."note", NEW."period_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."programme_id", NEW."sample_size", NEW."stage", NEW."submitted_at", NEW."submitted_by_id", NEW."value"); RETURN NULL;',
                    hash="58fa12392b90033502cbbc03d713b9d2f154b05e",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_359cf",
                    table="outcomes_result",
                    when="AFTER",
                ),
            ),
        ),
        migrations.AddConstraint(
            model_name="result",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("additional", False),
                    models.Q(("additional_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="result_additional_has_reason",
            ),
        ),
    ]
