"""Disputes in the portal, per role: a funder's queue of results awaiting its decision, the
open disputes list (fund manager, evaluators), and disputed results flagged where they
are listed. Each is scoped to the programme; a funder's queue to its own decisions."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from outcomes import services as outcome_services
from outcomes.disputes import dispute_withdraw
from sib.models import Membership, Organisation, User
from tests.payments.schedule_support import jardins

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _funder(deal, name: str, payer: str | None) -> User:
    user = User.objects.create(username=f"{deal.programme.slug}-{name}")
    Membership.objects.create(
        user=user,
        programme=deal.programme,
        role="public_funder",
        organisation=Organisation.objects.get(slug=payer) if payer else None,
    )
    return user


@pytest.fixture
def deal():
    deal = jardins("dispute-pages")
    deal.first = deal.result("training", "c1", "2026", 10)
    deal.second = deal.result("training", "c2", "2026", 12)
    deal.pending = deal.result("training", "c3", "2026", 5, verify=False)
    deal.etat_funder = _funder(deal, "etat", "etat")
    deal.dept_funder = _funder(deal, "dept", "departement-13")
    deal.review = outcome_services.result_review(
        result=deal.first, user=deal.dept_funder, verdict="disputed", comment="double counts"
    )
    return deal


def _page(deal, user, name: str):
    return _client(user).get(reverse(f"outcomes_portal:{name}", args=[deal.programme.pk]))


def _rows(html: str) -> set[str]:
    import re

    return set(re.findall(r'<tr data-result="(\d+)"', html))


def test_a_funders_queue_holds_the_verified_results_it_has_not_decided(deal):
    etat = _page(deal, deal.etat_funder, "acceptance-list").content.decode()
    dept = _page(deal, deal.dept_funder, "acceptance-list").content.decode()

    assert "Results awaiting your decision" in etat
    assert _rows(etat) == {str(deal.first.pk), str(deal.second.pk)}  # never the unverified
    assert _rows(dept) == {str(deal.second.pk)}  # it disputed the first already

    outcome_services.result_review(
        result=deal.second, user=deal.dept_funder, verdict="accepted", comment=""
    )
    dept = _page(deal, deal.dept_funder, "acceptance-list").content.decode()
    assert _rows(dept) == set() and "No result awaits your decision." in dept


def test_the_open_disputes_list_names_the_payer_and_is_for_those_who_resolve_them(deal):
    for user in (deal.manager, deal.lead, deal.evaluator):
        page = _page(deal, user, "open-disputes")
        assert page.status_code == 200, user
        html = page.content.decode()
        assert _rows(html) == {str(deal.first.pk)}
        assert "Departement 13" in html and "double counts" in html
    for funder in (deal.etat_funder, deal.dept_funder):
        assert _page(deal, funder, "open-disputes").status_code == 403


def test_a_withdrawn_or_resolved_dispute_leaves_the_list_and_the_flag(deal):
    submissions = reverse("outcomes_portal:result-list", args=[deal.programme.pk])
    html = _client(deal.manager).get(submissions).content.decode()
    assert html.count('state-rejected" data-disputed>Disputed') == 1

    dispute_withdraw(review=deal.review, user=deal.dept_funder, reason="recount agreed")
    assert _rows(_page(deal, deal.manager, "open-disputes").content.decode()) == set()
    html = _client(deal.manager).get(submissions).content.decode()
    assert 'state-rejected" data-disputed>Disputed' not in html

    outcome_services.result_review(
        result=deal.second, user=deal.etat_funder, verdict="disputed", comment="recheck"
    )
    amendment = outcome_services.result_amend(
        result=deal.second,
        user=deal.evaluator,
        reason="recount",
        stage=None,
        values=outcome_services.ResultValues(value=Decimal(11)),
    )
    outcome_services.result_verify(result=amendment, user=deal.lead)
    html = _client(deal.manager).get(submissions).content.decode()
    # Superseded: the amendment resolved it.
    assert 'state-rejected" data-disputed>Disputed' not in html
    assert _rows(_page(deal, deal.manager, "open-disputes").content.decode()) == set()


def test_the_pages_are_scoped_to_the_programme(deal):
    other = jardins("dispute-pages-other")
    other_funder = _funder(other, "etat", "etat")
    assert _page(deal, other.manager, "open-disputes").status_code == 404
    assert _page(deal, other_funder, "acceptance-list").status_code == 404


def test_the_dashboard_links_the_amount_in_dispute_to_the_open_disputes(deal):
    page = _client(deal.manager).get(reverse("payments_portal:dashboard", args=[deal.programme.pk]))
    html = page.content.decode()
    assert "in dispute" in html
    assert reverse("outcomes_portal:open-disputes", args=[deal.programme.pk]) in html


def test_the_open_disputes_page_reads_in_french(deal):
    client = _client(deal.manager)
    client.cookies["django_language"] = "fr"
    html = client.get(
        reverse("outcomes_portal:open-disputes", args=[deal.programme.pk])
    ).content.decode()
    assert "Contestations en cours" in html and "Open disputes" not in html


def test_a_payment_line_counting_a_disputed_result_is_flagged(deal):
    url = reverse("payments_portal:outcome-payments", args=[deal.programme.pk])
    html = _client(deal.manager).get(url).content.decode()
    flagged = re.findall(r'<tr data-line="([^"]+)" data-disputed>', html)
    assert flagged == ["training/c1/2026"]  # c2 is verified and undisputed
    assert 'data-line="training/c2/2026">' in html and "held apart from what it owes" in html

    dispute_withdraw(review=deal.review, user=deal.dept_funder, reason="recount agreed")
    html = _client(deal.manager).get(url).content.decode()
    assert "data-disputed" not in html and "held apart" not in html


def test_withdrawing_the_same_dispute_twice_says_so_instead_of_failing(deal):
    # Two tabs, or a double click: the second post meets the service's 409.
    url = reverse("payments_portal:dispute-withdraw", args=[deal.programme.pk, deal.first.pk])
    client = _client(deal.dept_funder)
    assert client.post(url, {"reason": "recount agreed"}).status_code == 302
    again = client.post(url, {"reason": "recount agreed"}, follow=True)
    assert again.status_code == 200
    assert "This dispute has already been withdrawn." in again.content.decode()


def test_the_outcomes_page_names_the_results_it_counts_that_are_disputed(deal):
    url = reverse("reports_portal:outcomes", args=[deal.programme.pk])
    result_url = reverse("outcomes_portal:result-detail", args=[deal.programme.pk, deal.first.pk])
    for user in (deal.etat_funder, deal.manager):
        html = _client(user).get(url).content.decode()
        assert "data-disputed-results" in html
        assert re.findall(r'<li data-disputed-result="(\d+)">', html) == [str(deal.first.pk)]
        assert result_url in html

    french = _client(deal.etat_funder)
    french.cookies["django_language"] = "fr"
    html = french.get(url).content.decode()
    assert "contesté" in html and "disputes" not in html

    dispute_withdraw(review=deal.review, user=deal.dept_funder, reason="recount agreed")
    assert "data-disputed-results" not in _client(deal.manager).get(url).content.decode()
