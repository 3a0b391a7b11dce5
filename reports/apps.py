from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        # Imported once the app registry is ready (AppConfig.ready): they import models.
        from reports import portal

        portal.register()
