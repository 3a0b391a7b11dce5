"""Portal routes. Account pages keep Django's names ("login", "logout"…), which settings
and django.contrib.auth refer to; programme pages live in the "portal" namespace."""

from django.urls import include, path
from django.views.i18n import set_language

from sib.portal import invitations, members, setup, views
from sib.portal.setup_steps import views as setup_steps

account_patterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/complete/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/setlang/", set_language, name="set_language"),
]

programme = "programmes/<int:programme_id>/"
portal_patterns = [
    path("", views.programme_list, name="programme-list"),
    path("programmes/new/", setup.programme_new, name="programme-new"),
    path("programmes/new/steps/", setup_steps.programme_steps, name="programme-steps-start"),
    path("programmes/new/steps/<slug:step>/", setup_steps.programme_steps, name="programme-steps"),
    path(programme, views.programme_home, name="programme-home"),
    path(f"{programme}members/", views.programme_members, name="programme-members"),
    path(f"{programme}members/invite/", invitations.member_invite, name="member-invite"),
    path(
        f"{programme}members/<int:membership_id>/revoke/",
        members.member_revoke,
        name="member-revoke",
    ),
    path(f"{programme}ledger/verify/", views.ledger_verify, name="ledger-verify"),
    path(f"{programme}definition/", setup.programme_definition, name="programme-definition"),
    path(f"{programme}activation/", setup.programme_activation, name="programme-activation"),
]

urlpatterns = [
    *account_patterns,
    path("", include((portal_patterns, "portal"))),
    # The apps built on the bond add their pages below (one include each).
    path("", include("outcomes.portal.urls")),
    path("", include("payments.portal.urls")),
    path("", include("reports.portal.urls")),
]
