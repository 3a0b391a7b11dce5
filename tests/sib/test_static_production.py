"""Static files under the documented deployment: collectstatic, then gunicorn, production.

The server is a real gunicorn in a subprocess with SIB_ENV=production, so nothing of the
test settings or of runserver's static handler can stand in for WhiteNoise.
"""

import gzip
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.sib.test_settings import CLEARED

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    # The proxy in front says the client used HTTPS (else the production redirect answers).
    conn.request("GET", path, headers={"X-Forwarded-Proto": "https", **headers})
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


@pytest.fixture
def production_server(tmp_path, django_db_setup, django_db_blocker):
    # The test database, already migrated: the page reads its session through it.
    with django_db_blocker.unblock():
        database = connection.settings_dict["NAME"]
    url = settings.DATABASE_URL.rsplit("/", 1)[0] + f"/{database}"
    env = {key: value for key, value in os.environ.items() if key not in CLEARED}
    env.update(
        DJANGO_SETTINGS_MODULE="sib.settings",
        SIB_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        PSEUDONYM_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=url,
        SIB_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert collect.returncode == 0, collect.stderr
    # gzip only: brotli (installed with Locust) made collectstatic ~10x slower.
    assert not list((tmp_path / "static").rglob("*.br"))
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "sib.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                get(port, "/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start in 60 s"
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_gunicorn_in_production_serves_the_pages_css(production_server):
    port = production_server
    page = get(port, "/accounts/login/")
    assert page.status == 200, page.body
    html = page.body.decode()
    # Cache-busted: the manifest storage names the file after its content.
    href = re.search(r'<link rel="stylesheet" href="(/static/sib/portal\.[0-9a-f]{12}\.css)"', html)
    assert href, html
    css = get(port, href.group(1))
    assert css.status == 200
    assert css.getheader("Content-Type", "").startswith("text/css")
    assert css.body == (ROOT / "sib/static/sib/portal.css").read_bytes()
    # A hashed name never changes content: cached for good.
    assert "immutable" in css.getheader("Cache-Control", "")
    # Compressed for a client that accepts it.
    zipped = get(port, href.group(1), **{"Accept-Encoding": "gzip"})
    assert zipped.status == 200
    assert zipped.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == css.body
    # The API docs' own files (drf-spectacular-sidecar) and the admin's are served too.
    assert get(port, "/static/admin/css/base.css").status == 200
    assert get(port, "/static/no-such-file.css").status == 404
