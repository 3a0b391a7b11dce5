from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        # Imported once the app registry is ready (AppConfig.ready): they import models.
        from payments import (
            contract,
            format,
            history_format,
            ledger,
            payer_splits,
            portal,
            receivers,
            schedules,
            variations,
            variations_format,
            waterfall_format,
        )
        from sib.chain import chain_moved_register

        ledger.register_chain_kind()
        contract.register_chain_kind()
        variations.register_chain_kind()
        # Every change of terms chains a contract version; every chain move queues the
        # schedule recompute (payments.contract, payments.schedules).
        contract.connect()
        chain_moved_register(schedules.recompute_on_chain_move)
        format.register()
        waterfall_format.register()
        payer_splits.register()
        history_format.register()
        variations_format.register()
        portal.register()
        receivers.connect()
