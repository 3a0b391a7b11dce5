from sib.permissions import Action
from tests.portal.rows import needs

PAGES = {
    "portal:programme-home": needs(Action.PROGRAMME_VIEW),
    "portal:programme-members": needs(Action.MEMBERSHIP_MANAGE),
    "portal:member-invite": needs(Action.MEMBERSHIP_GRANT),
    # The members page's "Revoke…" button posts here: a GET is refused (405).
    "portal:member-revoke": needs(Action.MEMBERSHIP_GRANT, ok=405),
    "portal:ledger-verify": needs(Action.LEDGER_VERIFY),
    "portal:programme-definition": needs(Action.PROGRAMME_MANAGE),
    "portal:programme-activation": needs(Action.PROGRAMME_MANAGE),
}
