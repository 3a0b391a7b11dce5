"""Portal page listing a programme's open disputes, for those who resolve them.

A fund manager follows what is held from the payers; evaluators see what to recount (a
lead resolves a dispute by verifying an amendment). Funders have their own queue (results
awaiting their decision) and withdraw their disputes from the result's page.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from outcomes.selectors_portal import open_dispute_list
from sib.permissions import Action
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import programme_access


@login_required
def open_disputes_page(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.RESULT_VIEW
    )
    return render(
        request,
        "outcomes/portal/open_disputes.html",
        programme_context(access, disputes=open_dispute_list(access=access)),
    )
