"""Taking a role back from the portal's members page: a confirmation, then the revocation.

The rule is the API's (sib.services.membership_revoke: staff, or a member who could have
granted the role, within their own organisation where the role asks it); the page shows
"Revoke" only where sib.scoping.may_revoke allows, and the service checks again. The
revocation is chained and audited; the person keeps their account.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sib.permissions import Action
from sib.portal.labels import ROLE_LABELS, label
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import programme_access
from sib.selectors import programme_membership
from sib.services import membership_revoke


@login_required
def member_revoke(
    request: AuthenticatedRequest, programme_id: int, membership_id: int
) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.MEMBERSHIP_GRANT
    )
    # The members page's button posts here; a GET has nothing to show.
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    membership = programme_membership(programme=access.programme, membership_id=membership_id)
    who = {"user": membership.user.get_username(), "role": label(ROLE_LABELS, membership.role)}
    if "confirm" in request.POST:
        try:
            membership_revoke(membership=membership, actor=request.user)
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("%(user)s no longer has the role %(role)s.") % who)
        return redirect("portal:programme-members", access.programme.pk)
    context = programme_context(access, membership=membership, role=who["role"])
    return render(request, "portal/member_revoke.html", context)
