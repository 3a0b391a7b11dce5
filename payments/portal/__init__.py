"""The money pages of the web portal (fund managers, public funders, investors)."""


def register() -> None:
    """Link the programme home's money sections to these pages and answer outcomes'
    previews (from AppConfig.ready)."""
    # Called from AppConfig.ready: the pages' modules import models and views, which
    # the package's own import (by the URL configuration) must not pull in first.
    from payments.portal import previews, setup_preview
    from payments.portal.urls import SECTION_PAGES
    from sib.portal.sections import section_page_register

    for key, url_name in SECTION_PAGES.items():
        section_page_register(key, url_name)
    # The payers' figures on outcomes' page confirming a verification.
    previews.connect()
    # The waterfall of a definition on the guided setup's waterfall step.
    setup_preview.connect()
