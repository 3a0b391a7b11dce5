"""The programme facts' history (its pghistory event table) is insert-only like every
other event table: TRUNCATE refused too (0014 created it without the guard)."""

from django.db import migrations

from sib.db.guards import truncate_refused


class Migration(migrations.Migration):
    dependencies = [("sib", "0015_chain_check_kinds")]

    operations = [truncate_refused("sib_programmefactsevent")]
