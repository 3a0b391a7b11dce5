"""`{% notice_links %}`: the payment notices the user may ask for, on a programme page."""

from typing import Any

from django import template

from reports.models import Language
from reports.notices import notice_payers

register = template.Library()


@register.inclusion_tag("reports/portal/notice_links.html", takes_context=True)
def notice_links(context: template.Context) -> dict[str, Any]:
    """Render one request form per payer whose notice the page's user may get (or nothing)."""
    access = context.get("access")
    payers = list(notice_payers(access=access)) if access is not None else []
    return {
        "programme": context.get("programme"),
        "payers": payers,
        "languages": Language.choices,
        "csrf_token": context.get("csrf_token"),
    }
