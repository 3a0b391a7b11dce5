"""The outcome pages of the web portal (evaluators, lead evaluators, public funders)."""


def register() -> None:
    """Link the programme home's outcome sections to these pages (from AppConfig.ready)."""
    # Called from AppConfig.ready: the pages' modules import models and views, which
    # the package's own import (by the URL configuration) must not pull in first.
    from outcomes.portal.urls import SECTION_PAGES
    from sib.portal.sections import section_page_register

    for key, url_name in SECTION_PAGES.items():
        section_page_register(key, url_name)
