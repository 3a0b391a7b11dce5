"""Password reset by e-mail (issue 14, part 2).

Reproduces the hole: the log-in page told people to ask a manager or an administrator to
reset a password, and neither could.
"""

import re

import pytest
from django.core import mail
from django.test import Client

from sib.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def member() -> User:
    return User.objects.create_user("reset-me", email="claire@example.org", password="old-pass-1")


def _reset_link(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/]+(/accounts/reset/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_the_login_page_offers_a_reset_by_email():
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/")
    assert b'href="/accounts/reset/"' in page.content


def test_a_member_resets_their_password_with_the_emailed_link(member: User):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    sent = client.post("/accounts/reset/", {"email": "claire@example.org"})
    assert sent.status_code == 302 and sent["Location"] == "/accounts/reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["claire@example.org"]
    link = _reset_link(mail.outbox[0])

    # Django swaps the token for a session marker, then shows the form.
    form = client.get(link, follow=True)
    assert b'name="new_password1"' in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "brand-new-pass-2031", "new_password2": "brand-new-pass-2031"},
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/complete/"
    member.refresh_from_db()
    assert member.check_password("brand-new-pass-2031")

    # The link is spent once the password has changed.
    again = Client(HTTP_ACCEPT_LANGUAGE="en").get(link, follow=True)
    assert b"no longer valid" in again.content


def test_an_unknown_address_gets_the_same_answer_and_no_mail(member: User):
    # The form tells nobody which addresses have an account.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    known = client.post("/accounts/reset/", {"email": "claire@example.org"})
    unknown = client.post("/accounts/reset/", {"email": "nobody@example.org"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [m.to for m in mail.outbox] == [["claire@example.org"]]


def test_the_reset_pages_and_message_are_french_for_a_french_reader(member: User):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    page = client.get("/accounts/reset/")
    assert "Réinitialiser votre mot de passe" in page.content.decode()
    client.post("/accounts/reset/", {"email": "claire@example.org"})
    assert "mot de passe" in mail.outbox[0].body
