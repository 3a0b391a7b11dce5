"""Move a programme to another pseudonym rule (a service, one transaction).

Kept apart from outcomes.services: it is about how participant ids are pseudonymised
(outcomes.pseudonyms), not about results.
"""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from outcomes.csv_import import IMPORT_LOCK_NAMESPACE
from outcomes.models import ParticipantRecord
from sib.models import Programme, PseudonymRule


def programme_pseudonym_rule_set(*, programme: Programme, rule: int) -> Programme:
    """Move a programme to another pseudonym rule, only while it holds no participant record.

    Its pseudonyms cannot be recomputed (no raw id is kept), so a programme with records
    keeps its rule; a trigger refuses the change too (migration 0006).
    """
    if rule not in PseudonymRule.values:
        raise ValidationError({"rule": _("Unknown pseudonym rule %(rule)s.") % {"rule": rule}})
    with transaction.atomic(), connection.cursor() as cursor:
        # The import's lock: a file being imported under the old rule commits first.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK_NAMESPACE, programme.pk]
        )
        locked = Programme.objects.select_for_update().get(pk=programme.pk)
        if locked.pseudonym_rule == rule:
            return locked
        if ParticipantRecord.objects.filter(metric__programme=locked).exists():
            raise ValidationError(
                {
                    "rule": _(
                        "The programme holds participant records pseudonymised under rule "
                        "%(rule)s: it keeps that rule."
                    )
                    % {"rule": locked.pseudonym_rule}
                }
            )
        locked.pseudonym_rule = rule
        locked.save(update_fields=["pseudonym_rule"])
        return locked
