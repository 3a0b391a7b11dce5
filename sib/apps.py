from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SibConfig(AppConfig):
    name = "sib"
    verbose_name = "Social impact bonds"

    def ready(self) -> None:
        post_migrate.connect(_apply_privileges, sender=self)
        # Imported once the app registry is ready (AppConfig.ready): they import models.
        from sib import role_changes
        from sib.programme_format import bond_sections, facts_section

        bond_sections.register()
        facts_section.register()
        role_changes.register_chain_kind()


def _apply_privileges(sender, using: str = "default", **kwargs) -> None:  # type: ignore[no-untyped-def]
    from sib.db.privileges import database_privileges_apply

    database_privileges_apply(using=using)
