"""Accounts: login lockout, API tokens, the demo seed and production secrets (issue 12, part 7).

The holes: five bad logins from one address (every user behind the documented proxy)
locked everyone out; API tokens never expired and survived a password change;
`seed_demo` ran under SIB_ENV=production; a one-letter PSEUDONYM_KEY passed.
"""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from sib.models import User
from tests.sib.test_settings import manage, production_env

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


# --- API tokens ----------------------------------------------------------------------------


def obtain(username: str = "alice", password: str = PASSWORD):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )


def programmes(key: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")
    return client.get("/api/programmes/")


def age(key: str, days: float) -> None:
    Token.objects.filter(key=key).update(created=timezone.now() - datetime.timedelta(days=days))


def test_api_token_is_issued_with_its_expiry(alice):
    response = obtain()

    assert response.status_code == 200, response.content
    body = response.json()
    expires = datetime.datetime.fromisoformat(body["expires_at"])
    assert abs(expires - (timezone.now() + datetime.timedelta(days=30))).total_seconds() < 60
    assert programmes(body["token"]).status_code == 200


def test_api_token_expires_after_api_token_ttl_days(alice):
    key = obtain().json()["token"]

    age(key, 29.9)
    assert programmes(key).status_code == 200
    age(key, 30.1)
    response = programmes(key)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"].lower()


@override_settings(API_TOKEN_TTL_DAYS=2)
def test_api_token_lifetime_follows_the_setting(alice):
    key = obtain().json()["token"]

    age(key, 2.1)

    assert programmes(key).status_code == 401


def test_an_expired_token_is_replaced_when_the_user_asks_again(alice):
    old = obtain().json()["token"]
    age(old, 31)

    new = obtain().json()["token"]

    assert new != old
    assert programmes(new).status_code == 200
    assert not Token.objects.filter(key=old).exists()


def test_password_change_revokes_api_tokens(alice):
    key = obtain().json()["token"]

    alice.set_password("another-long-passphrase-2")
    alice.save()

    assert programmes(key).status_code == 401
    assert not Token.objects.filter(user=alice).exists()


def test_password_change_in_the_portal_revokes_api_tokens(alice):
    key = obtain().json()["token"]
    client = Client()
    client.force_login(alice)

    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-2",
            "new_password2": "another-long-passphrase-2",
        },
    )

    assert response.status_code == 302, response.content
    assert programmes(key).status_code == 401


def test_saving_a_user_without_changing_the_password_keeps_the_token(alice):
    key = obtain().json()["token"]

    alice.first_name = "Alice"
    alice.save()
    log_in("alice", PASSWORD)  # a login updates last_login

    assert programmes(key).status_code == 200


def test_token_revoke_endpoint_revokes_the_callers_token(alice, bob):
    key = obtain().json()["token"]
    bobs = obtain("bob").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.post("/api/auth/token/revoke/")

    assert response.status_code == 204
    assert programmes(key).status_code == 401
    assert programmes(bobs).status_code == 200  # nobody else's


def test_token_revoke_endpoint_needs_an_authenticated_caller():
    assert APIClient().post("/api/auth/token/revoke/").status_code == 401


def test_wrong_password_gets_no_token(alice):
    response = obtain(password="wrong")

    assert response.status_code == 400
    assert not Token.objects.exists()


@pytest.mark.parametrize("value", ["0", "-1", "thirty"])
def test_api_token_ttl_days_must_be_a_positive_whole_number(tmp_path, value):
    result = manage("check", env={"API_TOKEN_TTL_DAYS": value}, var_dir=tmp_path)

    assert result.returncode != 0
    assert "API_TOKEN_TTL_DAYS" in result.stderr


def test_failed_token_requests_count_towards_the_login_lockout(alice):
    for _attempt in range(5):
        obtain(password="wrong")

    response = obtain()  # the right password, now locked out: no token

    assert response.status_code == 400, response.content
    assert not Token.objects.exists()
    assert locked_out(log_in("alice", PASSWORD, address="127.0.0.1"))


# --- The demo seed -------------------------------------------------------------------------


@override_settings(SIB_ENV="production", PRODUCTION=True)
def test_seed_demo_refuses_to_run_in_production():
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")

    assert not User.objects.exists()


# --- Production secrets --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PSEUDONYM_KEY", "x"), ("PSEUDONYM_KEY", "x" * 31), ("SECRET_KEY", "x" * 31)],
)
def test_production_refuses_a_key_shorter_than_32_bytes_naming_it(tmp_path, variable, value):
    env = {**production_env(), variable: value}

    result = manage("check", "--deploy", env=env, var_dir=tmp_path)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{variable} is shorter than 32 bytes" in result.stderr


def test_production_counts_a_keys_length_in_bytes_and_takes_32(tmp_path):
    env = {**production_env(), "PSEUDONYM_KEY": "é" * 16, "SECRET_KEY": "s" * 32}

    result = manage("check", env=env, var_dir=tmp_path)

    assert result.returncode == 0, result.stderr
