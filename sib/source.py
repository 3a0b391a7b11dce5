"""GET /source/: the running code as a tar.gz, the default way to offer it (AGPL §13).

The GNU AGPL asks a server offering the program to its users over a network to offer them
its Corresponding Source, modifications included. A deployment that publishes its code
elsewhere points SOURCE_URL there (the portal footer links to it); otherwise the footer
links here, and this view archives the code this server runs: the project files below,
nothing under var/ (data, secret key), no virtualenv, no bytecode.
"""

import gzip
import io
import tarfile
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

ARCHIVE_NAME = "sib-ledger-source"
SOURCE_DIRS = (
    "sib",
    "outcomes",
    "payments",
    "reports",
    "locale",
    "docs",
    "scripts",
    "tests",
    ".ci",
)
SOURCE_FILES = (
    "LICENSE",
    "README.md",
    "CHANGELOG.md",
    "CONTRIBUTING.md",
    "pyproject.toml",
    "requirements.lock",
    "Makefile",
    "manage.py",
    ".pre-commit-config.yaml",
    ".gitignore",
)
SKIPPED_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}


def source_paths(base: Path) -> list[Path]:
    """Return the files of the source archive, relative to `base`, sorted."""
    paths = [base / name for name in SOURCE_FILES if (base / name).is_file()]
    for directory in SOURCE_DIRS:
        for path in (base / directory).rglob("*"):
            relative = path.relative_to(base)
            if (
                path.is_file()
                and not SKIPPED_PARTS.intersection(relative.parts)
                and path.suffix not in SKIPPED_SUFFIXES
            ):
                paths.append(path)
    return sorted(path.relative_to(base) for path in paths)


def source_archive(base: Path) -> bytes:
    """Return a tar.gz of the source under `base`; the same files give the same bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for relative in source_paths(base):
            data = (base / relative).read_bytes()
            info = tarfile.TarInfo(f"{ARCHIVE_NAME}/{relative.as_posix()}")
            info.size = len(data)
            info.mode = 0o755 if (base / relative).stat().st_mode & 0o111 else 0o644
            info.mtime = 0  # and no owner: the archive depends on the files' contents only
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), compresslevel=9, mtime=0)


@require_GET
def source(request: HttpRequest) -> HttpResponse:
    """Send the running code as a tar.gz; no login needed (every user may have it)."""
    response = HttpResponse(
        source_archive(Path(settings.BASE_DIR)), content_type="application/gzip"
    )
    response["Content-Disposition"] = f'attachment; filename="{ARCHIVE_NAME}.tar.gz"'
    return response
