"""An INDIGO record is for publication: it follows the published outputs' rule (issue 12).

INDIGO's data store is public. The record a programme exports names organisations and the
contract's published facts, and nothing a published output may not print: no user name,
no text typed by a user, no participant count (docs/reports.md, "Privacy of what is
shown"; docs/indigo.md).
"""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from outcomes import services as outcomes
from outcomes.models import Result
from sib.demo import demo_definition
from sib.models import User
from sib.programme_format import programme_definition_load
from sib.services import membership_add

pytestmark = pytest.mark.django_db

NOTE = "Cohorte 2026\u00a0: entrées en formation certifiante."
REASON = "Mme Khadija Benali comptée deux fois"


def test_the_indigo_record_of_a_running_programme_names_no_user_and_no_count():
    creator = User.objects.create_superuser("root-manager", password="pw-123456789")
    people = [User.objects.create(username=name) for name in ("evaluator", "lead")]
    User.objects.create(username="second-lead-jd")
    programme = programme_definition_load(demo_definition(), creator=creator)
    first = Result.objects.filter(programme=programme).order_by("id").first()
    assert first is not None and first.note == NOTE
    second_lead = User.objects.get(username="second-lead-jd")
    membership_add(programme=programme, user=second_lead, role="lead_evaluator")
    outcomes.result_amend(
        result=first,
        user=second_lead,
        reason=REASON,
        stage=None,
        values=outcomes.ResultValues(value=Decimal(7)),
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("indigo_export", programme.slug, stdout=out, stderr=err)
    text = out.getvalue()
    record = json.loads(text)
    assert record["project"]["data"]  # something was exported
    for secret in [*(p.username for p in people), "second-lead-jd", "root-manager", NOTE, REASON]:
        assert secret not in text, secret
    # Results (counts, values) are not part of INDIGO's project record here.
    assert '"62"' not in text and "Not exported: history" in err.getvalue()
