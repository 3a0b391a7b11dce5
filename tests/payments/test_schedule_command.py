"""The command line speaks English throughout, the services' refusals included."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.cast import make_cast

pytestmark = pytest.mark.django_db


def test_a_bad_scenario_is_refused_in_english_without_a_traceback():
    cast = make_cast("cli")
    # French is the site's default language; a command still answers in English.
    with (
        translation.override("fr"),
        pytest.raises(CommandError, match=r"^A scenario is a percentage of targets, 0 to 1000\.$"),
    ):
        call_command("schedule", cast.own.slug, scenario="2000")
