"""Dates in words (issue 14): French writes the first of the month as an ordinal,
« 1er janvier 2027 », everywhere a date is written out — portal pages, services'
messages, PDFs; every other day, and English, as before."""

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from reports.rendering.formatting import format_date as pdf_date
from sib.dates import format_date, format_datetime
from sib.demo import demo_definition
from sib.models import User
from sib.programme_format import programme_definition_load


def _render(text: str, language: str, **context: object) -> str:
    with translation.override(language):
        return Template("{% load portal_format %}" + text).render(Context(context))


def test_the_first_of_the_month_is_1er_in_french():
    with translation.override("fr"):
        assert format_date(date(2027, 1, 1)) == "1er janvier 2027"
        assert format_date(date(2027, 1, 2)) == "2 janvier 2027"
        assert format_date(date(2027, 1, 11)) == "11 janvier 2027"


def test_english_dates_are_unchanged():
    with translation.override("en"):
        assert format_date(date(2027, 1, 1)) == "Jan. 1, 2027"
    assert pdf_date(date(2027, 1, 1), "en") == "1 January 2027"


def test_a_date_and_time_reads_1er_in_french_at_the_local_day():
    # 23:30 UTC on 31 December is already 1 January in Paris (settings.TIME_ZONE).
    moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    with translation.override("fr"):
        assert format_datetime(moment) == "1er janvier 2027 00:30"


def test_portal_templates_write_1er_in_french_and_english_as_before():
    first = date(2026, 7, 1)
    assert _render("{{ day|longdate }}", "fr", day=first) == "1er juillet 2026"
    assert _render("{{ day|longdate }}", "en", day=first) == "July 1, 2026"
    assert _render("{{ day|longdate }}", "fr", day=None) == ""


def test_the_pdfs_write_1er_through_the_same_home():
    assert pdf_date(date(2026, 3, 1), "fr") == "1er mars 2026"
    assert pdf_date(date(2026, 3, 2), "fr") == "2 mars 2026"


@pytest.mark.django_db
def test_the_programme_home_gives_the_period_with_1er_in_french_only():
    manager = User.objects.create_user("manager")
    document = demo_definition()
    document["programme"]["status"] = "draft"
    document.pop("memberships")
    document.pop("history")
    programme = programme_definition_load(document, creator=manager)
    client = Client()
    client.force_login(manager)
    url = reverse("portal:programme-home", args=[programme.pk])
    client.cookies["django_language"] = "fr"
    assert "1er janvier 2026 – 31 décembre 2030" in client.get(url).content.decode()
    client.cookies["django_language"] = "en"
    assert "Jan. 1, 2026 – Dec. 31, 2030" in client.get(url).content.decode()
