"""Signed checkpoints are insert-only like the chain they sign: TRUNCATE refused too."""

from django.db import migrations

from sib.db.guards import truncate_refused


class Migration(migrations.Migration):
    dependencies = [("sib", "0010_separation_of_duties")]

    operations = [truncate_refused("sib_chain_checkpoint")]
