"""The source is offered to every user of the portal (GNU AGPL §13), by default from /source/."""

import io
import tarfile
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return {
            member.name: tar.extractfile(member).read()  # type: ignore[union-attr]
            for member in tar.getmembers()
            if member.isfile()
        }


def test_the_licence_file_is_the_gnu_affero_general_public_license_version_3():
    text = (ROOT / "LICENSE").read_text()

    assert text.lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE\n")
    assert "Version 3, 19 November 2007" in text
    assert "13. Remote Network Interaction; Use with the GNU General Public License." in text


def test_the_login_page_footer_links_to_the_source_for_anonymous_users(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert b'<a href="/source/">' in response.content


def test_the_footer_links_to_source_url_when_a_deployment_sets_it(client, settings):
    settings.SOURCE_URL = "https://git.example.org/sib-ledger/tree/v1.2"

    response = client.get("/accounts/login/")

    assert b'<a href="https://git.example.org/sib-ledger/tree/v1.2">' in response.content


def test_source_archive_is_served_without_login_and_holds_the_running_code(client):
    response = client.get("/source/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/gzip"
    members = _members(response.content)
    assert members["sib-ledger-source/LICENSE"] == (ROOT / "LICENSE").read_bytes()
    assert members["sib-ledger-source/sib/settings.py"] == (ROOT / "sib/settings.py").read_bytes()
    assert "sib-ledger-source/pyproject.toml" in members


def test_source_archive_holds_no_local_state_secret_or_bytecode(client):
    secret_key = str(settings.SECRET_KEY).encode()

    members = _members(client.get("/source/").content)

    assert not [name for name in members if "/var/" in name or name.endswith(".pyc")]
    assert not [name for name, data in members.items() if secret_key in data]


def test_source_archive_is_the_same_bytes_for_the_same_code(client):
    assert client.get("/source/").content == client.get("/source/").content


def test_source_archive_only_answers_get(client):
    assert client.post("/source/").status_code == 405
