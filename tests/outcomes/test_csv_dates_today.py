"""The CSV import reads "today" from the project's clock, as the ledger does (issue 13).

An achievement dated after today is refused as in the future; the day is the one the
ledger uses (sib.clock), not the database's current_date, or a file could be refused by
one clock while its payments are accepted by the other.
"""

import datetime

import pytest

from outcomes.models import ParticipantRecord
from sib.clock import frozen_today
from tests.outcomes.test_csv_import import HEADER, upload


@pytest.mark.django_db
def test_an_achievement_after_the_projects_today_is_in_the_future(cast):
    # 2026-04-01 is past for the database's clock but not for the project's: refused.
    with frozen_today(datetime.date(2026, 3, 15)):
        response = upload(cast, HEADER + "P-2,in-work-6m,c1,2026-h1,2026-04-01\n")
    assert response.status_code == 400, response.content
    rules = [(e["line"], e["column"], e["rule"]) for e in response.json()["errors"]]
    assert rules == [(2, "date_achieved", "future_date")]
    assert ParticipantRecord.objects.count() == 0


@pytest.mark.django_db
def test_an_achievement_up_to_the_projects_today_is_recorded(cast):
    with frozen_today(datetime.date(2026, 4, 1)):
        response = upload(cast, HEADER + "P-2,in-work-6m,c1,2026-h1,2026-04-01\n")
    assert response.status_code == 201, response.content
    assert ParticipantRecord.objects.count() == 1
