from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        # Imported once the app registry is ready (AppConfig.ready): they import models.
        from outcomes import chain_kinds, definition, portal

        chain_kinds.register()
        definition.register()
        portal.register()
