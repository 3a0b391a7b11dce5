import pghistory
from django.db import models

from sib.models.programmes import Programme


@pghistory.track()
class ProgrammeFacts(models.Model):
    """What is known about a deal beyond its terms: places, sector, sources, dates, roles.

    One validated JSON document (the `facts` section of docs/programme-format.md) rather
    than typed columns: no rule of the ledger reads these facts, they are lists of nested,
    often partial items (a date known to the month, an investment known as a range, an
    organisation's several roles), and their shape is the format's JSON Schema
    (`#/$defs/facts`), which `programme_facts_set` checks before every write. Typed
    columns would spread one description over eight tables and a second definition of the
    same shape; the day a rule needs one fact (the country for a currency check, say),
    that fact becomes a column.
    """

    programme = models.OneToOneField(Programme, on_delete=models.PROTECT, related_name="facts")
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "sib_programme_facts"

    def __str__(self) -> str:
        return f"Facts of {self.programme}"
