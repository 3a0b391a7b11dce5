"""Portal pages common to every role: the shell, the programme list and the programme home.

Views only check access through sib.scoping (the same helper as the API), call selectors
and render. A programme the user has no role on answers 404, as in the API.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from sib.chain import GENESIS, chain_head
from sib.chain_checks import PENDING, chain_check_latest, chain_check_request
from sib.models import ProgrammeStatus, User
from sib.permissions import Action
from sib.portal.facts import programme_facts_view
from sib.portal.labels import ROLE_LABELS, STATUS_LABELS, label
from sib.portal.sections import sections_for
from sib.portal.selectors import programme_member_rows, programme_party_rows, programme_rows
from sib.scoping import ProgrammeAccess, may_open_programmes, programme_access


class AuthenticatedRequest(HttpRequest):
    """A request behind login_required: its user is a real user."""

    user: User


def programme_context(access: ProgrammeAccess, **extra: Any) -> dict[str, Any]:
    """Return what every programme page shows: the programme, the user's roles, the chain head."""
    head = chain_head(programme_id=access.programme.pk)
    return {
        "programme": access.programme,
        "access": access,
        "my_roles": [label(ROLE_LABELS, role) for role in sorted(access.roles)],
        "chain_head": head,
        "chain_is_empty": head == GENESIS,
        **extra,
    }


@login_required
def programme_list(request: AuthenticatedRequest) -> HttpResponse:
    rows = programme_rows(user=request.user)
    context = {"rows": rows, "may_open": may_open_programmes(request.user)}
    return render(request, "portal/programme_list.html", context)


@login_required
def programme_home(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(user=request.user, programme_id=programme_id)
    programme = access.programme
    context = programme_context(
        access,
        status=label(STATUS_LABELS, programme.status),
        parties=programme_party_rows(access=access),
        sections=sections_for(access),
        may_manage=access.allows(Action.PROGRAMME_MANAGE),
        is_draft=programme.status == ProgrammeStatus.DRAFT,
        facts=programme_facts_view(
            programme=programme, show_investors=access.allows(Action.PROGRAMME_MANAGE)
        ),
    )
    return render(request, "portal/programme_home.html", context)


@login_required
def programme_members(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.MEMBERSHIP_MANAGE
    )
    members = programme_member_rows(programme=access.programme, viewer=request.user)
    return render(
        request, "portal/programme_members.html", programme_context(access, members=members)
    )


@login_required
def ledger_verify(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    """The programme's chain check: ask for one (POST), follow it, read its result (GET).

    The check runs in a worker (sib.chain_checks), never in this request: on a large chain
    it reads millions of rows. The page reloads itself while the check is pending.
    """
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.LEDGER_VERIFY
    )
    if request.method == "POST":
        chain_check_request(programme=access.programme, user=request.user)
        return redirect("portal:ledger-verify", access.programme.pk)
    check = chain_check_latest(programme=access.programme)
    pending = check is not None and check.status in PENDING
    context = programme_context(access, check=check, pending=pending)
    return render(request, "portal/ledger_verify.html", context)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    next_page = "login"  # a URL name: resolve_url reverses it

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You are logged out."))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    # Not Django's default template names: the admin uses those for its own pages.
    template_name = "registration/portal_password_change.html"
    success_url = reverse_lazy("password_change_done")


# Password reset by e-mail: Django's views (a token in the link, valid
# PASSWORD_RESET_TIMEOUT seconds, spent once the password changes). The form answers the
# same whether or not the address is known, so it tells nobody who has an account.
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/portal_password_reset_form.html"
    email_template_name = "registration/portal_password_reset_email.txt"
    subject_template_name = "registration/portal_password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/portal_password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/portal_password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/portal_password_reset_complete.html"


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/portal_password_change_done.html"
