from tests.permissions.rows import ALL_ROLES, FM, scoped, unscoped

ROWS = {
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
    "programme_party_create": scoped(FM),
    "programme_membership_list": scoped(FM),
    "programme_membership_create": scoped(FM),
}

PARAMS = {"programme_id": lambda programme: programme.pk}
