"""A ledger movement's description in the page's language.

The services write a movement's description once, in English, and the ledger never edits
it (it is part of the chained record). The portal shows the descriptions the services
wrote in the reader's language, recognising them by their wording; a description a fund
manager typed (a payment's note) is their text and is shown as typed.
"""

import re
from collections.abc import Callable
from datetime import date

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _

register = template.Library()


def _on(iso: str) -> str:
    return date_format(date.fromisoformat(iso), "SHORT_DATE_FORMAT", use_l10n=True)


# The services' wordings (payments.services, payments.guarantees, payments.distributions,
# payments.ledger) and their translation; a new wording there needs a line here.
WORDINGS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"Drawdown: (?P<who>.+)"), lambda m: _("Drawdown: %(who)s") % m.groupdict()),
    (
        re.compile(r"Outcome payment received from (?P<payer>.+)"),
        lambda m: _("Outcome payment received from %(payer)s") % m.groupdict(),
    ),
    (
        re.compile(r"Waterfall distributions of (?P<on>\d{4}-\d{2}-\d{2})"),
        lambda m: _("Waterfall distributions of %(date)s") % {"date": _on(m["on"])},
    ),
    (
        re.compile(r"Guarantee call: (?P<who>.+)"),
        lambda m: _("Guarantee call: %(who)s") % m.groupdict(),
    ),
    (
        re.compile(r"Guarantee paid: (?P<who>.+)"),
        lambda m: _("Guarantee paid: %(who)s") % m.groupdict(),
    ),
    (
        re.compile(r"Reversal of #(?P<number>\d+)"),
        lambda m: _("Reversal of movement no. %(number)s") % m.groupdict(),
    ),
)


@register.filter
def movement_description(text: str) -> str:
    """Return a movement's description as the services wrote it, in the page's language."""
    for pattern, translated in WORDINGS:
        match = pattern.fullmatch(text or "")
        if match:
            return translated(match)
    return text
