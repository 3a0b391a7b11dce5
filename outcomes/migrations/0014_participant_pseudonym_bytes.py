"""Store a participant record's pseudonym as its 32 bytes, not 64 hex characters.

The unique B-tree (metric, period, pseudonym, occurrence) is most of what a participant
import writes. On hex text it compared keys by the database collation and held 65 bytes
per pseudonym; on `bytea` it compares by memcmp and holds 33. Existing rows are converted
in place (decode(..., 'hex')): the same pseudonyms, so the HMAC key, the chain digests
(outcomes.chain_kinds encodes them back to hex) and every reader see what they saw.
A CHECK keeps the column to a SHA-256's 32 bytes.
"""

from django.db import migrations

import outcomes.pseudonym_field

FORWARD = """
ALTER TABLE outcomes_participant_record
    ALTER COLUMN pseudonym TYPE bytea USING decode(pseudonym, 'hex'),
    ADD CONSTRAINT participant_pseudonym_is_32_bytes CHECK (octet_length(pseudonym) = 32);
"""

BACKWARD = """
ALTER TABLE outcomes_participant_record
    DROP CONSTRAINT participant_pseudonym_is_32_bytes,
    ALTER COLUMN pseudonym TYPE varchar(64) USING encode(pseudonym, 'hex');
"""


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0013_participant_occurrences")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
            state_operations=[
                migrations.AlterField(
                    model_name="participantrecord",
                    name="pseudonym",
                    field=outcomes.pseudonym_field.PseudonymField(),
                )
            ],
        )
    ]
