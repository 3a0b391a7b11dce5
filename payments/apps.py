from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from payments import format, ledger, portal

        ledger.register_chain_kind()
        format.register()
        portal.register()
