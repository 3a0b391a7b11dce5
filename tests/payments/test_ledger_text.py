"""A movement's description reads in the page's language; what a manager typed does not change."""

from django.utils import translation

from payments.templatetags.ledger_text import movement_description


def test_the_services_descriptions_read_in_french_on_a_french_page():
    with translation.override("fr"):
        assert movement_description("Drawdown: Banque solidaire, Senior loans") == (
            "Tirage\u00a0: Banque solidaire, Senior loans"
        )
        assert movement_description("Outcome payment received from État") == (
            "Paiement aux résultats reçu de État"
        )
        assert movement_description("Waterfall distributions of 2026-11-20") == (
            "Distributions de la cascade du 20/11/2026"
        )
        assert movement_description("Reversal of #12") == "Contre-passation du mouvement n° 12"


def test_the_services_descriptions_read_as_written_on_an_english_page():
    with translation.override("en"):
        assert movement_description("Guarantee call: Fondation, Senior") == (
            "Guarantee call: Fondation, Senior"
        )
        assert movement_description("Waterfall distributions of 2026-11-20") == (
            "Waterfall distributions of 11/20/2026"
        )


def test_a_description_a_manager_typed_is_shown_as_typed():
    with translation.override("fr"):
        assert movement_description("Virement n° 4411 du département") == (
            "Virement n° 4411 du département"
        )
        assert movement_description("") == ""
