"""Accounts: login lockout, API tokens, the demo seed and production secrets (issue 12, part 7).

The holes: five bad logins from one address (every user behind the documented proxy)
locked everyone out; API tokens never expired and survived a password change;
`seed_demo` ran under SIB_ENV=production; a one-letter PSEUDONYM_KEY passed.
"""

import pytest
from django.test import Client, override_settings

from sib.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-1"
PROXY = "10.0.0.1"  # every request seen through the reverse proxy comes from here


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", password=PASSWORD)


def log_in(username: str, password: str, address: str = PROXY):
    return Client(REMOTE_ADDR=address).post(
        "/accounts/login/", {"username": username, "password": password}
    )


def locked_out(response) -> bool:
    return response.status_code == 429


# --- Login lockout -------------------------------------------------------------------------


def test_lockout_of_one_user_from_an_address_does_not_lock_out_another_user_from_it(alice, bob):
    for _attempt in range(4):
        assert not locked_out(log_in("alice", "wrong"))
    assert locked_out(log_in("alice", "wrong"))  # the fifth failure locks

    assert locked_out(log_in("alice", PASSWORD))  # alice is locked, right password or not
    response = log_in("bob", PASSWORD)
    assert response.status_code == 302, response.content  # bob, same address, logs in


def test_lockout_is_per_username_and_address_together(alice):
    for _attempt in range(5):
        log_in("alice", "wrong", address="192.0.2.7")

    assert locked_out(log_in("alice", PASSWORD, address="192.0.2.7"))
    assert log_in("alice", PASSWORD, address="198.51.100.9").status_code == 302


def log_in_through_proxy(username: str, password: str, forwarded_for: str):
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for).post(
        "/accounts/login/", {"username": username, "password": password}
    )


@override_settings(TRUSTED_PROXIES=1)
def test_behind_a_trusted_proxy_the_lockout_keys_on_the_forwarded_client_address(alice):
    for _attempt in range(5):
        log_in_through_proxy("alice", "wrong", "192.0.2.7")

    assert locked_out(log_in_through_proxy("alice", PASSWORD, "192.0.2.7"))
    # The attacker cannot pick the address either: only the proxy's own entry counts.
    assert locked_out(log_in_through_proxy("alice", PASSWORD, "198.51.100.9, 192.0.2.7"))
    # Alice from home, through the same proxy, is not locked out.
    assert log_in_through_proxy("alice", PASSWORD, "198.51.100.9").status_code == 302
