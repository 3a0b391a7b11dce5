"""What the bond itself tells the apps above it, without importing them.

`programme_terms_changed` is sent INSIDE the transaction that changed a term the outcome
payments depend on (a termination, a cap): payments books the restatement of what each
payer owes in that same transaction. Arguments: programme, on (a date), actor, cause.
"""

from django.dispatch import Signal

programme_terms_changed = Signal()

waterfall_preview = Signal()
"""Sent by the portal's guided programme setup (its waterfall step), OUTSIDE any write, to
have the apps above run the waterfall of a definition not loaded yet on an example payment
(payments: the engine). Arguments: document (the programme definition built so far, in
the format's JSON shape), amount (minor units), on (the payment's date). A receiver
returns safe HTML to show on the page, or "" for nothing; it never writes.
"""
