"""Template tag for the portal footer: where the source of this server can be had."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def source_url() -> str:
    """Return SOURCE_URL (the GNU AGPL's offer of the source, §13)."""
    return str(settings.SOURCE_URL)
