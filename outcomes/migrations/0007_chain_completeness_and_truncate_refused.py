"""Every decision, amendment and funder review has its chain entry; no TRUNCATE.

Deferred to commit, like the ledger's: the record and its chain entry are written in one
database transaction, in either order. An amendment is a result that amends another.
"""

from django.db import migrations

from sib.db.guards import chain_entry_required, truncate_refused


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0006_pseudonym_rule_fixed_once_used"),
        ("sib", "0009_chain_head_completeness_and_truncate_guards"),
    ]

    operations = [
        chain_entry_required(
            "outcomes_result_decision",
            "outcomes.decision",
            trigger="outcomes_decision_chained",
        ),
        chain_entry_required(
            "outcomes_result",
            "outcomes.amendment",
            trigger="outcomes_amendment_chained",
            programme_column="programme_id",
            condition="NEW.amends_id IS NOT NULL",
        ),
        chain_entry_required(
            "outcomes_result_review",
            "outcomes.review",
            trigger="outcomes_review_chained",
        ),
        truncate_refused(
            "outcomes_evidence",
            "outcomes_import_batch",
            "outcomes_result",
            "outcomes_result_decision",
            "outcomes_result_review",
            "outcomes_cohortevent",
            "outcomes_evidenceevent",
            "outcomes_importbatchevent",
            "outcomes_measurementperiodevent",
            "outcomes_metricevent",
            "outcomes_resultdecisionevent",
            "outcomes_resultevent",
            "outcomes_resultreviewevent",
        ),
    ]
