"""Terminating a programme from the portal: a date and a reason, then the figures each
payer owes now and once terminated, and only the confirmed POST terminates.

The deal (tests.payments.schedule_support.jardins): the State pays 560 € per person
trained; 10 trained in 2026 and 10 in 2028 make 11 200 € (1 120 000 in minor units).
Terminated on 30 June 2027, the 2028 results stop paying: the State then owes 5 600 €.
"""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from payments.position import programme_position
from sib.models import ProgrammeStatus
from tests.payments.schedule_support import jardins

pytestmark = pytest.mark.django_db


def _deal():  # type: ignore[no-untyped-def]
    deal = jardins()
    deal.result("training", "c1", "2026", 10)
    deal.result("training", "c1", "2028", 10)
    return deal


def _client(user, language: str = "en") -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def _url(deal) -> str:  # type: ignore[no-untyped-def]
    return reverse("payments_portal:programme-termination", args=[deal.programme.pk])


def _etat_due(deal) -> int:  # type: ignore[no-untyped-def]
    return programme_position(programme=deal.programme).payer("etat").due


FIELDS = {"termination_date": "2027-06-30", "reason": "the payer's break option"}


def test_the_review_shows_what_each_payer_owes_now_and_once_terminated_and_changes_nothing():
    deal = _deal()
    page = _client(deal.manager).post(_url(deal), FIELDS)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-payer="etat" data-due-after="560000"' in html
    assert 'name="confirm"' in html
    deal.programme.refresh_from_db()
    assert deal.programme.status == ProgrammeStatus.ACTIVE
    assert _etat_due(deal) == 1_120_000


def test_the_confirmed_termination_restates_what_the_payer_owes():
    deal = _deal()
    done = _client(deal.manager).post(_url(deal), {**FIELDS, "confirm": "1"})
    assert done.status_code == 302
    deal.programme.refresh_from_db()
    assert deal.programme.status == ProgrammeStatus.TERMINATED
    assert deal.programme.termination_date == date(2027, 6, 30)
    assert _etat_due(deal) == 560_000
    # The programme's page shows it, and offers no second termination.
    home = _client(deal.manager).get(reverse("portal:programme-home", args=[deal.programme.pk]))
    assert _url(deal) not in home.content.decode()


def test_a_date_outside_the_programme_is_refused_at_its_field_in_french_before_any_figure():
    deal = _deal()
    page = _client(deal.manager, "fr").post(
        _url(deal), {**FIELDS, "termination_date": "2035-01-01"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "La date de résiliation doit se situer dans la période du programme." in html
    assert "data-preview" not in html
    deal.programme.refresh_from_db()
    assert deal.programme.status == ProgrammeStatus.ACTIVE


def test_a_termination_without_a_reason_is_refused():
    deal = _deal()
    page = _client(deal.manager).post(_url(deal), {**FIELDS, "reason": "   ", "confirm": "1"})
    assert page.status_code == 200
    deal.programme.refresh_from_db()
    assert deal.programme.status == ProgrammeStatus.ACTIVE


def test_only_who_manages_the_programme_may_terminate_it():
    deal = _deal()
    assert _client(deal.evaluator).get(_url(deal)).status_code == 403
    refused = _client(deal.evaluator).post(_url(deal), {**FIELDS, "confirm": "1"})
    assert refused.status_code == 403
    deal.programme.refresh_from_db()
    assert deal.programme.status == ProgrammeStatus.ACTIVE
