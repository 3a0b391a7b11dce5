"""Four eyes against a lead evaluator's own second account (issue 12 audit: open).

The grant API gives an evaluator role only to people already in the lead evaluator's
reach, so newcomers get their first role from staff
(tests/sib/test_separation_of_duties.py::test_staff_grant_a_newcomer_their_first_role).
The invitation page does not: a lead evaluator invites a newcomer at an address they
hold, chooses its password from the link, submits results as that account and verifies
them as themselves. The test says the rule that should hold; it fails today (xfail,
strict: it turns red the day the hole is closed, to be un-marked then).
"""

import pytest
from django.test import Client

from outcomes import services
from sib.exceptions import Refused
from sib.models import User
from tests.outcomes.test_verification import submit

pytestmark = pytest.mark.django_db


@pytest.mark.xfail(
    strict=True,
    reason="open: a lead evaluator's invitation makes an account they control (docs/security.md)",
)
def test_a_lead_evaluator_cannot_verify_the_work_of_an_account_they_invited(cast):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(cast.lead)
    answer = client.post(
        f"/programmes/{cast.programme.pk}/members/invite/",
        {"username": "second-self", "email": "lead+second@example.org", "role": "evaluator"},
    )
    assert answer.status_code == 302, answer.content
    second_self = User.objects.get(username="second-self")
    result = submit(cast, user=second_self)
    with pytest.raises(Refused):
        services.result_verify(result=result, user=cast.lead)
