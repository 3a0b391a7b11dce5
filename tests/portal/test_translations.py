"""The French catalogue is complete: every translatable text of the code is translated."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
APPS = ("sib", "outcomes", "payments", "reports")

needs_gettext = pytest.mark.skipif(
    not (shutil.which("msgfmt") and shutil.which("msgcmp")),
    reason="GNU gettext is not installed (apt-get install -y gettext)",
)


@needs_gettext
def test_french_catalogue_compiles_without_warnings_about_formats():
    result = subprocess.run(
        ["msgfmt", "--check", "-o", os.devnull, str(CATALOGUE)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@needs_gettext
def test_every_translatable_text_has_a_french_translation(tmp_path: Path):
    # Extract the texts as makemessages would, from a copy of the code (so the committed
    # catalogue is not touched), then ask msgcmp whether the catalogue translates each one.
    for app in APPS:
        shutil.copytree(
            ROOT / app,
            tmp_path / app,
            ignore=shutil.ignore_patterns("__pycache__", "migrations", "static", "*.pyc"),
        )
    (tmp_path / "locale").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "fr", "--no-location", "-v", "0"],
        cwd=tmp_path,
        env=env,
        check=True,
    )
    extracted = tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgcmp", "-N", str(CATALOGUE), str(extracted)], capture_output=True, text=True
    )
    assert result.returncode == 0, (
        "untranslated or missing texts: run `manage.py makemessages -l fr --no-location "
        "--ignore=.venv --ignore=var --ignore=tests --ignore=bench` and translate them.\n"
        + result.stderr
    )
