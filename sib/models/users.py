import pgtrigger
from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person who logs in. What they may do is decided per programme by their memberships."""

    class Meta:
        db_table = "sib_user"
        triggers = [
            # A new password hash ends the user's sessions (Django) and, here, revokes their
            # API token, whichever code path or SQL changed it (sib.tokens).
            pgtrigger.Trigger(
                name="password_change_revokes_api_token",
                operation=pgtrigger.UpdateOf("password"),
                when=pgtrigger.After,
                condition=pgtrigger.Condition('OLD."password" IS DISTINCT FROM NEW."password"'),
                func='DELETE FROM "authtoken_token" WHERE "user_id" = NEW."id"; RETURN NULL;',
            )
        ]
