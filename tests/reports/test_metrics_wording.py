"""The manager PDF and the portal's schedule page read investor metrics the same way:
the same explanation, the same word for an undefined metric, the same multiple format."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext

from reports.rendering.formatting import format_multiple
from reports.rendering.labels import label


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("key", ["metrics_note", "not_defined"])
def test_the_portal_msgid_translates_to_the_pdf_wording(language, key):
    # The portal's msgid is the PDF's English text; its French is the PDF's French.
    with translation.override(language):
        assert gettext(label("en", key)) == label(language, key)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "value", ["0", "0.1", "0.25", "0.255", "0.125", "1.004999", "1.005", "2.5", "12.3456"]
)
def test_the_portal_prints_a_multiple_as_the_pdf_does(language, value):
    template = Template("{% load portal_format %}{{ value|multiple }}")
    with translation.override(language):
        portal = template.render(Context({"value": value}))
    assert portal == format_multiple(Decimal(value), language)
