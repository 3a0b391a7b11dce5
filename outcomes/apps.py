from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        from outcomes import chain_kinds, definition, portal

        chain_kinds.register()
        definition.register()
        portal.register()
