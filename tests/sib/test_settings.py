"""Settings read from the environment: production is deploy-clean and has no default secrets.

Each case runs `manage.py` in a subprocess, because settings are read once per process.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

# Variables a developer's shell or `make` may have set; each case starts without them.
CLEARED = (
    # The browser tests set this for their session; a deployment never has it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "SIB_ENV",
    "SECRET_KEY",
    "PSEUDONYM_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DEBUG",
)


def manage(*args: str, env: dict[str, str], var_dir: Path) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items() if key not in CLEARED}
    # DATABASE_URL names the server this suite already uses, so no embedded server starts;
    # an empty var dir shows that production writes nothing there (no generated key).
    base.update(DATABASE_URL=settings.DATABASE_URL, SIB_VAR_DIR=str(var_dir))
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env() -> dict[str, str]:
    return {
        "SIB_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "PSEUDONYM_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "ledger.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://ledger.example.org",
    }


def test_check_deploy_passes_with_production_variables(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(), var_dir=tmp_path
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert not (tmp_path / "secret_key").exists()


def test_production_without_secret_key_fails_naming_it(tmp_path):
    env = production_env()
    del env["SECRET_KEY"]

    result = manage("check", env=env, var_dir=tmp_path)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_production_without_pseudonym_key_fails_naming_it(tmp_path):
    env = production_env()
    del env["PSEUDONYM_KEY"]

    result = manage("check", env=env, var_dir=tmp_path)

    assert result.returncode != 0
    assert "PSEUDONYM_KEY" in result.stderr


def test_debug_is_off_unless_asked_and_development_keeps_a_local_key(tmp_path):
    script = "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)"

    first = manage("shell", "--no-imports", "-c", script, env={}, var_dir=tmp_path)
    second = manage("shell", "--no-imports", "-c", script, env={}, var_dir=tmp_path)

    assert first.returncode == 0, first.stderr
    debug, key = first.stdout.split()
    assert debug == "False"
    assert len(key) >= 50
    assert second.stdout == first.stdout  # the generated key is kept under var/
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_a_malformed_variable_stops_start_up_naming_it(tmp_path):
    result = manage("check", env={"OUTBOX_MAX_ATTEMPTS": "five"}, var_dir=tmp_path)

    assert result.returncode != 0
    assert "OUTBOX_MAX_ATTEMPTS" in result.stderr
