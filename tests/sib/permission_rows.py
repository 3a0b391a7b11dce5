from tests.permissions.rows import ALL_ROLES, FM, FUNDER, LEAD, scoped, unscoped

ROWS = {
    # Names routes, not data: open to anyone.
    "api_root": unscoped("anonymous", "stranger", "staff", *ALL_ROLES),
    "auth_token_create": unscoped("anonymous", "stranger", "staff", *ALL_ROLES),
    "auth_token_revoke": unscoped("stranger", "staff", *ALL_ROLES),
    "organisation_list": unscoped(FM, "staff"),
    "organisation_create": unscoped(FM, "staff"),
    "programme_list": unscoped("stranger", "staff", *ALL_ROLES),
    "programme_create": unscoped("staff"),
    "programme_retrieve": scoped(*ALL_ROLES),
    "programme_update": scoped(FM),
    "programme_activate": scoped(FM),
    "programme_close": scoped(FM),
    "programme_terminate": scoped(FM),
    "programme_party_list": scoped(*ALL_ROLES),
    # Organisations are appointed by staff (or the programme definition), not taken.
    "programme_party_create": scoped("staff"),
    "programme_membership_list": scoped(FM, "staff"),
    # Each grants the roles their organisation manages (the service says which).
    "programme_membership_create": scoped(FM, LEAD, FUNDER, "staff"),
    # The membership revoked is an investor's: the fund managers' people, and staff's.
    "programme_membership_revoke": scoped(FM, "staff"),
}


def _investor_membership_id(programme):  # type: ignore[no-untyped-def]
    from sib import services
    from sib.models import Membership, Organisation, User

    existing = Membership.objects.filter(programme=programme, role="investor").first()
    if existing is not None:
        return existing.pk
    user, _ = User.objects.get_or_create(username=f"{programme.slug}-matrix-investor")
    organisation = Organisation.objects.get(slug=f"{programme.slug}-investor")
    return services.membership_add(
        programme=programme, user=user, role="investor", organisation=organisation
    ).pk


PARAMS = {
    "programme_id": lambda programme: programme.pk,
    "membership_id": _investor_membership_id,
}
