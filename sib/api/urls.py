"""API routes. One class per operation (HackSoft style): a list and a create are two paths."""

from django.urls import include, path

from sib import apis
from sib.api import root, tokens

app_name = "api"

programme = "programmes/<int:programme_id>/"
urlpatterns = [
    path("", root.ApiRootApi.as_view(), name="root"),
    path("auth/token/", tokens.TokenObtainApi.as_view(), name="token"),
    path("auth/token/revoke/", tokens.TokenRevokeApi.as_view(), name="token-revoke"),
    path("organisations/", apis.OrganisationListApi.as_view(), name="organisation-list"),
    path("organisations/create/", apis.OrganisationCreateApi.as_view(), name="organisation-create"),
    path("programmes/", apis.ProgrammeListApi.as_view(), name="programme-list"),
    path("programmes/create/", apis.ProgrammeCreateApi.as_view(), name="programme-create"),
    path(programme, apis.ProgrammeDetailApi.as_view(), name="programme-detail"),
    path(f"{programme}update/", apis.ProgrammeUpdateApi.as_view(), name="programme-update"),
    path(f"{programme}activate/", apis.ProgrammeActivateApi.as_view(), name="programme-activate"),
    path(f"{programme}close/", apis.ProgrammeCloseApi.as_view(), name="programme-close"),
    path(
        f"{programme}terminate/", apis.ProgrammeTerminateApi.as_view(), name="programme-terminate"
    ),
    path(f"{programme}parties/", apis.PartyListApi.as_view(), name="party-list"),
    path(f"{programme}parties/create/", apis.PartyCreateApi.as_view(), name="party-create"),
    path(f"{programme}memberships/", apis.MembershipListApi.as_view(), name="membership-list"),
    path(
        f"{programme}memberships/create/",
        apis.MembershipCreateApi.as_view(),
        name="membership-create",
    ),
    path(
        f"{programme}memberships/<int:membership_id>/revoke/",
        apis.MembershipRevokeApi.as_view(),
        name="membership-revoke",
    ),
    # Apps that build on the bond add their routes below (one include each).
    path("", include("payments.urls")),
    path("", include("outcomes.urls")),
    path("", include("reports.urls")),
]
