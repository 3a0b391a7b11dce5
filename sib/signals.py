"""What the bond itself tells the apps above it, without importing them.

`programme_terms_changed` is sent INSIDE the transaction that changed a term the outcome
payments depend on (a termination, a cap): payments books the restatement of what each
payer owes in that same transaction. Arguments: programme, on (a date), actor, cause.
"""

from django.dispatch import Signal

programme_terms_changed = Signal()
