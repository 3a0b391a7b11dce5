"""The invitation page: a newcomer's login, address and first role on this programme.

Only the roles the user may grant are offered (staff: every role; a fund manager: fund
manager and investor; a lead evaluator: evaluator roles; a funder: funder); the service
checks the same rules again, with the separation of duties, and chains the grant.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sib.invitations import user_invite
from sib.models import ProgrammeParty, Role
from sib.permissions import Action, role_granted_by
from sib.portal.forms import add_service_errors
from sib.portal.labels import ROLE_LABELS, label
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.scoping import ProgrammeAccess, programme_access


def grantable_roles(access: ProgrammeAccess) -> list[str]:
    if access.user.is_staff:
        return list(Role.values)
    return [role for role in Role.values if role_granted_by(role, access.roles)]


class InvitationForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Login"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254)
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"))
    organisation = forms.ChoiceField(
        label=gettext_lazy("Organisation"),
        required=False,
        help_text=gettext_lazy("The investor an investor sees, the payer a funder acts for."),
    )

    def __init__(self, *args: object, access: ProgrammeAccess, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["role"].choices = [  # type: ignore[attr-defined]
            (role, label(ROLE_LABELS, role)) for role in grantable_roles(access)
        ]
        parties = ProgrammeParty.objects.filter(programme=access.programme).select_related(
            "organisation"
        )
        self.fields["organisation"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *sorted({(p.organisation.slug, p.organisation.name) for p in parties}),
        ]


@login_required
def member_invite(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.MEMBERSHIP_GRANT
    )
    form = InvitationForm(request.POST or None, access=access)
    if request.method == "POST" and form.is_valid():
        try:
            membership = user_invite(
                actor=request.user,
                programme=access.programme,
                base_url=request.build_absolute_uri("/"),
                **form.cleaned_data,
            )
        except ValidationError as refusal:
            add_service_errors(form, refusal)
        except PermissionDenied as refusal:
            form.add_error("role", str(refusal))
        else:
            messages.success(
                request,
                _("%(username)s is invited; a link to choose a password is on its way.")
                % {"username": membership.user.username},
            )
            return redirect("portal:programme-members", access.programme.pk)
    return render(request, "portal/member_invite.html", programme_context(access, form=form))
