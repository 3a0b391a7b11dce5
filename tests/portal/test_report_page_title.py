"""A report's portal page names its edition in one phrase of the reader's language."""

import pytest
from django.test import Client
from django.urls import reverse

from reports.models import Report
from tests.cast import Cast
from tests.portal.objects import ready_report


@pytest.mark.parametrize(
    ("edition", "language", "title"),
    [
        ("public", "fr", "Rapport — édition publique"),
        ("public", "en", "Report — public edition"),
        ("manager", "fr", "Rapport — édition gestionnaire du fonds"),
        ("manager", "en", "Report — fund manager edition"),
    ],
)
def test_the_report_page_title_names_the_edition(
    cast: Cast, edition: str, language: str, title: str
):
    report_id = ready_report(cast.own)
    Report.objects.filter(pk=report_id).update(edition=edition)
    client = Client()
    client.force_login(cast.users["fund_manager"])
    client.cookies["django_language"] = language
    url = reverse("reports_portal:report-detail", args=[cast.own.pk, report_id])
    page = client.get(url).content.decode()
    assert f"<h1>{title}</h1>" in page
