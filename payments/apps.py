from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from payments import (
            format,
            history_format,
            ledger,
            portal,
            receivers,
            schedules,
            waterfall_format,
        )

        ledger.register_chain_kind()
        schedules.register_chain_kind()
        format.register()
        waterfall_format.register()
        history_format.register()
        portal.register()
        receivers.connect()
