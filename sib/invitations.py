"""Invitations: a newcomer's account, their first role and an e-mail to choose a password.

Whoever may grant a role (staff, a fund manager for the intermediary's and investors'
people, a lead evaluator for evaluators, a funder for their payer's people) may invite
someone into that role: the account is created without a usable password, the role is
granted through `membership_add` (chained, separation of duties checked) and a link to
choose a password is e-mailed once the transaction commits. The link is Django's
password-reset token: it works once, for PASSWORD_RESET_TIMEOUT seconds, and a spent or
expired one is renewed by "Forgotten your password?" on the log-in page.
"""

import logging

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from sib.models import Membership, Programme, ProgrammeParty, User
from sib.scoping import grant_scope
from sib.services import membership_add

logger = logging.getLogger(__name__)


def _party_organisation(*, programme: Programme, slug: str) -> ProgrammeParty | None:
    if not slug:
        return None
    party = (
        ProgrammeParty.objects.filter(programme=programme, organisation__slug=slug)
        .select_related("organisation")
        .first()
    )
    if party is None:
        raise ValidationError(
            {
                "organisation": _("No organisation %(slug)s among this programme's parties.")
                % {"slug": slug}
            }
        )
    return party


def _check_newcomer(*, username: str, email: str) -> None:
    errors: dict[str, str] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = _("Enter a valid email address.")
    # An invitation makes a new account. Its inviter learns that a login or an address is
    # taken (as any sign-up form tells), never to whom; they grant an existing person's
    # role by name instead, which answers the same for people they may not reach.
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = _("This login is taken: choose another one.")
    if email and User.objects.filter(email__iexact=email).exists():
        errors["email"] = _(
            "This address already has an account: grant the role to its login instead."
        )
    if errors:
        raise ValidationError(errors)


def _send_invitation(*, user: User, programme: Programme, inviter: User, base_url: str) -> None:
    link = base_url.rstrip("/") + reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"user": user, "programme": programme, "inviter": inviter, "link": link}
    subject = render_to_string("registration/invitation_subject.txt", context).strip()
    body = render_to_string("registration/invitation_email.txt", context)
    send_mail(subject, body, None, [user.email])


@transaction.atomic
def user_invite(
    *,
    actor: User,
    programme: Programme,
    username: str,
    email: str,
    role: str,
    organisation: str = "",
    first_name: str = "",
    last_name: str = "",
    base_url: str,
) -> Membership:
    """Create `username`'s account, grant them `role` on `programme`, e-mail their link.

    `base_url` is where the portal is reached ("https://ledger.example.org"): the link in
    the message points there. Nothing is written when any check refuses.
    """
    # The rights first: someone who may not grant the role learns nothing about logins.
    scope = grant_scope(grantor=actor, programme=programme, role=role)
    username = username.strip()
    email = email.strip()
    party = _party_organisation(programme=programme, slug=organisation)
    _check_newcomer(username=username, email=email)
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    bound = scope.organisation if scope.own_organisation_only else None
    membership = membership_add(
        programme=programme,
        user=user,
        role=role,
        organisation=bound or (party.organisation if party is not None else None),
        actor=actor,
    )
    # After the commit, and robust: a mail relay that is down must not undo the role (the
    # newcomer then asks for a link with "Forgotten your password?").
    transaction.on_commit(
        lambda: _send_invitation(user=user, programme=programme, inviter=actor, base_url=base_url),
        robust=True,
    )
    logger.info("invitation", extra={"programme": programme.pk, "role": role})
    return membership
