import pghistory
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sib.db.insert_only import InsertOnlyModel
from sib.models.parties import Organisation
from sib.models.programmes import Programme


class RoleChangeKind(models.TextChoices):
    GRANT = "grant", _("Grant")
    REVOKE = "revoke", _("Revoke")


@pghistory.track(pghistory.InsertEvent())
class RoleChange(InsertOnlyModel):
    """One grant or revocation of a role on a programme, chained (kind "sib.role_change").

    `Membership` holds who has which role now; this table holds how they came to have it
    and when they lost it, for good. `actor` is who granted or revoked it; none when the
    programme definition or the system did (a programme's creator, seed data).
    """

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    change = models.CharField(max_length=6, choices=RoleChangeKind.choices)
    membership_id = models.BigIntegerField(help_text="The membership granted or revoked.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(InsertOnlyModel.Meta):
        db_table = "sib_role_change"

    def __str__(self) -> str:
        return f"{self.change} {self.role} to {self.user_id} on {self.programme_id}"
