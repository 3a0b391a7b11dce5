"""Setting a programme up from the portal: load its definition, review it, activate it.

The programme definition (docs/programme-format.md) is the contract in one JSON document;
the portal takes it in the way `programme_load` does, through the same reader
(sib.definition_file) and the same loader (sib.programme_format): every error listed at
its JSON path, nothing written unless everything is right. The definition of a programme
can be downloaded again (what `programme_dump` prints), and a draft is activated after a
review page, by the service that checks the payers' shares.
"""

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sib.definition_file import definition_parse
from sib.models import ProgrammeStatus, User
from sib.permissions import Action
from sib.portal.forms import add_service_errors
from sib.portal.labels import STATUS_LABELS, label
from sib.portal.selectors import programme_party_rows
from sib.portal.views import AuthenticatedRequest, programme_context
from sib.programme_format import (
    DefinitionError,
    programme_definition_dump,
    programme_definition_load,
)
from sib.scoping import may_open_programmes, programme_access
from sib.services import payer_shares, programme_activate


class DefinitionForm(forms.Form):
    definition = forms.FileField(
        label=gettext_lazy("Programme definition (JSON)"),
        help_text=gettext_lazy("The file programme_dump writes (docs/programme-format.md)."),
    )
    manager = forms.CharField(
        label=gettext_lazy("First fund manager (login)"),
        max_length=150,
        required=False,
        help_text=gettext_lazy("Leave empty to become the programme's first fund manager."),
    )

    def __init__(self, *args: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not staff:
            # Only staff open programmes for someone else: a user allowed to open their
            # own deals becomes their manager, and may not probe which logins exist.
            del self.fields["manager"]


def _first_manager(form: DefinitionForm, user: User) -> User | None:
    login = form.cleaned_data.get("manager") or ""
    if not login:
        return user
    manager = User.objects.filter(username=login, is_active=True).first()
    if manager is None:
        form.add_error("manager", _("No active user has this login."))
    return manager


@login_required
def programme_new(request: AuthenticatedRequest) -> HttpResponse:
    if not may_open_programmes(request.user):
        raise PermissionDenied(_("Only administrators and users allowed to open programmes may."))
    form = DefinitionForm(request.POST or None, request.FILES or None, staff=request.user.is_staff)
    errors: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        manager = _first_manager(form, request.user)
        if manager is not None:
            try:
                document = definition_parse(form.cleaned_data["definition"].read())
                programme = programme_definition_load(
                    document, creator=manager, names_people=request.user.is_staff
                )
            except DefinitionError as refusal:
                whole = _("(whole document)")
                errors = [(path or whole, message) for path, message in refusal.errors]
            else:
                messages.success(
                    request,
                    _("Programme “%(name)s” is loaded (%(status)s).")
                    % {"name": programme.name, "status": label(STATUS_LABELS, programme.status)},
                )
                return redirect("portal:programme-home", programme.pk)
    return render(request, "portal/programme_new.html", {"form": form, "errors": errors})


@login_required
def programme_definition(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.PROGRAMME_MANAGE
    )
    document = programme_definition_dump(access.programme)
    body = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{access.programme.slug}.json"'
    return response


class ActivationForm(forms.Form):
    """No field: the page is the confirmation; the service checks the rules again."""


@login_required
def programme_activation(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    access = programme_access(
        user=request.user, programme_id=programme_id, action=Action.PROGRAMME_MANAGE
    )
    programme = access.programme
    # The form has no field: its POST is empty, and an empty POST still binds it.
    form = ActivationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            programme_activate(programme=programme)
        except ValidationError as refusal:
            add_service_errors(form, refusal)
        else:
            messages.success(request, _("The programme is active."))
            return redirect("portal:programme-home", programme.pk)
    payers = payer_shares(programme=programme)
    shares = sum(p.payer_share or 0 for p in payers)
    # Beside a payer of the rest, the fixed shares sum to below 100 (sib.services).
    has_rest = any(p.payer_residual for p in payers)
    context = programme_context(
        access,
        form=form,
        is_draft=programme.status == ProgrammeStatus.DRAFT,
        status=label(STATUS_LABELS, programme.status),
        parties=programme_party_rows(access=access),
        share_total=shares,
        has_rest=has_rest,
        shares_complete=shares < 100 if has_rest else shares == 100,
    )
    return render(request, "portal/programme_activation.html", context)
