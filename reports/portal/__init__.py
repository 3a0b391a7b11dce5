"""The report pages of the web portal, and the charts the other apps' pages show."""


def register() -> None:
    """Link the programme home's report sections to these pages (from AppConfig.ready)."""
    # Called from AppConfig.ready: the pages' modules import models and views, which
    # the package's own import (by the URL configuration) must not pull in first.
    from reports.portal.urls import SECTION_PAGES
    from sib.portal.sections import section_page_register

    for key, url_name in SECTION_PAGES.items():
        section_page_register(key, url_name)
