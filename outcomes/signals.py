"""What outcomes tells the apps above it, without importing them (imports flow one way).

`outcome_facts_changed` is sent INSIDE the transaction that changed which results a
programme has verified or disputed (a verification, a dispute, a dispute withdrawn).
Payments books the difference in what each payer owes in that same transaction, so that
nothing is verified that the ledger does not show as due; a receiver that fails rolls
the verification back with it.

Arguments: programme, on (the date the change takes effect), actor (a user or None),
cause (a short English text for the ledger's description, e.g. "verification of result
#12"); for a verification, also result (the result verified), so that a receiver may
price only what it changes.
"""

from django.dispatch import Signal

outcome_facts_changed = Signal()

decision_preview = Signal()
"""Sent by the portal's pages that show a result before it counts (its page while it
awaits verification, the confirmation of its verification, the submit page's preview),
OUTSIDE any write, to collect what verifying the result would change in the apps above
(payments: what each payer would owe, and the caps that cut it). Arguments: programme,
result (unsaved on the submit page: a submission not made yet). A receiver returns safe
HTML to show on the page, or "" for nothing; it never writes.
"""

import_preview = Signal()
"""Sent by the results import page while it checks a file, OUTSIDE any lasting write, to
collect what verifying every result the file makes would change in the apps above (the
same answer as decision_preview, for all of them at once). Arguments: programme, results
(saved inside the check's transaction, which is rolled back: they never count). A
receiver returns safe HTML, or "" for nothing; it never writes.
"""
