"""Every portal page of a programme answers 404 to a stranger, whatever the URL conf holds.

The pages are found by walking the URL conf, not listed by hand: a new programme page is
covered the day it is added. A page with a path parameter other than `programme_id`
needs a resolver in RESOLVERS (how to make a value of it on a given programme), like
tests/permissions/rows.py does for the API; until it has one, this test fails and says so.
What each member gets on each page (the exact status per role) is the role matrix's
business: tests/portal/test_role_matrix.py, with a row per page in tests/<app>/portal_rows.py.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from sib.models import Programme
from tests.cast import Cast
from tests.payments.permission_rows import _transaction_id
from tests.portal.objects import ready_report, verified_result, verified_result_evidence

# Path parameter -> a function returning a value of it that exists on the programme.
RESOLVERS: dict[str, Callable[[Programme], Any]] = {
    "result_id": verified_result,  # verified: a public funder may see it too
    "evidence_id": verified_result_evidence,  # the evidence of that same result
    "report_id": ready_report,
    "paid_on": lambda programme: "2027-03-31",
    "what": lambda programme: "call",
    "transaction_id": _transaction_id,  # a drawdown: the fund manager may reverse it
    "membership_id": lambda programme: programme.memberships.order_by("pk").first().pk,
}

# Namespaces that are not the portal: the API has its own permission matrix, the admin
# its own staff rule.
NOT_PORTAL = {"api", "admin"}


@dataclass(frozen=True)
class Page:
    name: str  # "namespace:name"
    parameters: frozenset[str]


def _parameters(resolver_or_pattern: URLResolver | URLPattern) -> set[str]:
    pattern = resolver_or_pattern.pattern
    converters = getattr(pattern, "converters", None)
    if converters is not None:
        return set(converters)
    return set(pattern.regex.groupindex)


def _walk(
    patterns: list[Any], namespace: tuple[str, ...] = (), parameters: frozenset[str] = frozenset()
) -> Iterator[Page]:
    for entry in patterns:
        here = parameters | _parameters(entry)
        if isinstance(entry, URLResolver):
            inner = (*namespace, entry.namespace) if entry.namespace else namespace
            if inner and inner[0] in NOT_PORTAL:
                continue
            yield from _walk(entry.url_patterns, inner, here)
        elif entry.name:
            yield Page(":".join((*namespace, entry.name)), here)


def programme_pages() -> list[Page]:
    pages = {p.name: p for p in _walk(get_resolver().url_patterns)}
    pages = {name: p for name, p in pages.items() if "programme_id" in p.parameters}
    return sorted(pages.values(), key=lambda p: p.name)


def page_url(page: Page, programme: Programme) -> str:
    missing = page.parameters - {"programme_id"} - set(RESOLVERS)
    if missing:
        pytest.fail(
            f"{page.name} takes {sorted(missing)}: add a resolver for each to RESOLVERS in "
            f"{__name__} so the stranger test can reach the page."
        )
    kwargs = {name: RESOLVERS[name](programme) for name in page.parameters - {"programme_id"}}
    return reverse(page.name, kwargs={"programme_id": programme.pk, **kwargs})


def test_the_walk_finds_the_programme_pages():
    names = {p.name for p in programme_pages()}
    assert {"portal:programme-home", "portal:programme-members"} <= names
    assert {
        "outcomes_portal:result-detail",
        "payments_portal:drawdown-record",
        "reports_portal:report-download",
    } <= names
    assert not any(name.startswith("api:") for name in names)


@pytest.mark.django_db
def test_a_stranger_gets_404_on_every_programme_page(cast: Cast):
    client = Client()
    client.force_login(cast.stranger)
    for page in programme_pages():
        url = page_url(page, cast.own)
        response = client.get(url)
        assert response.status_code == 404, f"GET {url} ({page.name}): {response.status_code}"
        assert cast.own.name not in response.content.decode(), f"{url} names the programme"
        response = client.post(url)
        # 405 says nothing about the programme: the page answers it to everyone.
        assert response.status_code in {404, 405}, f"POST {url}: {response.status_code}"


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_log_in_on_every_programme_page(cast: Cast):
    for page in programme_pages():
        response = Client().get(page_url(page, cast.own))
        assert response.status_code == 302, page.name
        assert response["Location"].startswith(reverse("login")), page.name
