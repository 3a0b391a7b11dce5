from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person who logs in. What they may do is decided per programme by their memberships."""

    class Meta:
        db_table = "sib_user"
