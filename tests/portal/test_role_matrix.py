"""Every programme page of the portal × every role: the exact status each one gets.

The rows live beside each app's tests (tests/<app>/portal_rows.py) and name the right the
page asks for; tests.portal.rows turns it into roles through sib.permissions, so the
expected statuses follow the table. A page added without a row fails
`test_every_programme_page_has_a_row`. The pages are found by tests.portal.test_scoping's
walk of the URL conf, with its resolvers for path parameters.
"""

import importlib

import pytest
from django.test import Client
from django.urls import reverse

from sib.models import Role, User
from sib.permissions import role_allows
from sib.portal.sections import SECTIONS, _url_name
from tests.cast import Cast
from tests.portal.rows import PageRow
from tests.portal.test_scoping import RESOLVERS, Page, programme_pages

APPS = ("sib", "outcomes", "payments", "reports")


def _rows() -> dict[str, PageRow]:
    rows: dict[str, PageRow] = {}
    for app in APPS:
        module = importlib.import_module(f"tests.{app}.portal_rows")
        for name, row in module.PAGES.items():
            assert name not in rows, f"{name} has two rows"
            rows[name] = row
    return rows


def test_every_programme_page_has_a_row():
    rows = _rows()
    pages = {page.name for page in programme_pages()}
    assert sorted(pages - set(rows)) == [], "programme pages without a row"
    assert sorted(set(rows) - pages) == [], "rows for pages that no longer exist"


def test_a_row_names_at_least_one_role_who_opens_the_page():
    for name, row in _rows().items():
        assert row.roles, f"{name}: no role holds {row.actions}"


def test_a_section_the_home_links_opens_for_every_role_it_is_linked_for():
    # The programme home links a section to the roles holding its right (sib.portal.sections):
    # the page behind the link must open for each of them, never answer them 403.
    rows = _rows()
    for section in SECTIONS:
        url_name = _url_name(section)
        if url_name is None:
            continue
        linked = frozenset(r for r in Role.values if role_allows(r, section.action))
        row = rows[url_name]
        assert row.ok == 200, f"section {section.key} links {url_name}, a form's target"
        assert linked <= row.roles, (
            f"section {section.key} links {url_name} for {sorted(linked - row.roles)}, "
            "whom the page refuses"
        )


def _url(page: Page, row: PageRow, cast: Cast) -> str:
    resolvers = {**RESOLVERS, **row.params}
    kwargs = {name: resolvers[name](cast.own) for name in page.parameters - {"programme_id"}}
    return reverse(page.name, kwargs={"programme_id": cast.own.pk, **kwargs})


def _expected(row: PageRow, who: str) -> int:
    if who == "anonymous":
        return 302
    if who in {"stranger", "foreign_member"}:
        return 404
    if who == "staff":
        return row.ok if row.staff else 403
    return row.ok if who in row.roles else 403


@pytest.mark.django_db
def test_portal_role_matrix(cast: Cast):
    rows = _rows()
    foreign_member = User.objects.get(username__endswith="-foreign-manager")
    callers = {
        **cast.users,
        "foreign_member": foreign_member,  # fund manager of another programme
        "stranger": cast.stranger,
        "staff": cast.staff,
        "anonymous": None,
    }
    clients = {}
    for who, user in callers.items():
        clients[who] = Client()
        if user is not None:
            clients[who].force_login(user)
    failures: list[str] = []
    for page in programme_pages():
        row = rows[page.name]
        url = _url(page, row, cast)
        for who, client in clients.items():
            response = client.get(url)
            expected = _expected(row, who)
            if response.status_code != expected:
                failures.append(
                    f"{page.name} as {who}: expected {expected}, got {response.status_code}"
                )
            elif expected == 302 and not response["Location"].startswith(reverse("login")):
                failures.append(f"{page.name} as {who}: sent to {response['Location']}")
    assert failures == [], "\n".join(failures)
