"""Register the schedule side's chain kind and programme-definition sections, once."""

_done = False


def register() -> None:
    global _done
    if _done:
        return
    _done = True
    from payments import schedules, waterfall_format

    schedules.register_chain_kind()
    waterfall_format.register()
