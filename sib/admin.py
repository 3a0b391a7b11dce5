"""Staff administration of people, organisations, programmes and roles.

The admin is a window on the same services as the portal and the API, not a way around
them: organisations are created through `organisation_create`, roles are granted and
revoked through `membership_add` / `membership_revoke` (chained, separation of duties
checked), and a programme's terms are read-only here because an active programme changes
only through the contract-change path. Users are Django's own: staff add people, set a
password, deactivate an account.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sib.models import Membership, Organisation, Programme, ProgrammeParty, User
from sib.services import membership_add, membership_revoke, organisation_create

admin.site.site_header = _("Outcomes ledger administration")
admin.site.site_title = _("Outcomes ledger")
admin.site.index_title = _("People, organisations, programmes and roles")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "is_superuser"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A user's name is in the chain (who verified, who paid): deactivate, never delete.
        return False


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "slug", "kinds"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ["name", "slug", "kinds"]
    search_fields = ["name", "slug"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Programmes and reports name an organisation by its slug: it never changes.
        return ["slug", "kinds"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        created = organisation_create(name=obj.name, slug=obj.slug, kinds=list(obj.kinds))
        obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProgrammePartyInline(admin.TabularInline):
    model = ProgrammeParty
    fields = ["organisation", "role", "payer_share"]
    readonly_fields = ["organisation", "role", "payer_share"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    """Read-only: a programme is loaded from its definition (`programme_load`) and an
    active one changes only by a chained contract change."""

    list_display = ["name", "slug", "status", "currency", "start_date", "end_date"]
    list_filter = ["status", "currency"]
    search_fields = ["name", "slug"]
    inlines = [ProgrammePartyInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "programme", "role", "organisation"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Grant a role (add) or revoke it (the "revoke" action); never edit one in place."""

    form = MembershipForm
    list_display = ["user", "programme", "role", "organisation", "created_at"]
    list_filter = ["role", "programme"]
    search_fields = ["user__username", "programme__name"]
    list_select_related = ["user", "programme", "organisation"]
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change page is shown read-only (view permission); a role is revoked, not edited.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        created = membership_add(
            programme=obj.programme,
            user=obj.user,
            role=obj.role,
            organisation=obj.organisation,
            actor=request.user,  # type: ignore[arg-type]
        )
        obj.pk = created.pk

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().add_view(request, *args, **kwargs)
        except (ValidationError, PermissionDenied) as refusal:
            # The service's refusal (separation of duties, a party missing…) in words.
            for message in getattr(refusal, "messages", [str(refusal)]):
                self.message_user(request, message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=_("Revoke the selected roles"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        count = 0
        for membership in queryset:
            membership_revoke(membership=membership, actor=request.user)  # type: ignore[arg-type]
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d role revoked.", "%(count)d roles revoked.", count)
            % {"count": count},
        )
