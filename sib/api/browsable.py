"""Errors readable in the browsable API (development; production renders JSON only).

A problem response is labelled `application/problem+json` whatever renders it. When a
browser asks for HTML, the browsable API renders the page, and under that label the
browser showed the page's HTML source instead of the page. Here the label is left to the
renderer: a browser gets the page (the problem shown in it as JSON, with its status), any
other client still gets `application/problem+json`.
"""

from typing import Any

from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from sib.api import problems


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = problems.exception_handler(exc, context)
    renderer = getattr(context.get("request"), "accepted_renderer", None)
    if response is not None and isinstance(renderer, BrowsableAPIRenderer):
        response.content_type = None
    return response
